import { constants, createHash, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildCanonicalRequest, buildStringToSign, canonicalQueryString, formatPayDate, PSS_SALT_LENGTH, signRequest } from '../../../amazonpay/signing.js';
import type { SigningAlgorithm } from '../../../amazonpay/signing.js';
import { testKeyPair } from './support/test-keys.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function verifies(stringToSign: string, signature: string, saltLength: number): boolean {
  return verify(
    'sha256',
    Buffer.from(stringToSign),
    { key: testKeyPair().publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
    Buffer.from(signature, 'base64'),
  );
}

const baseHeaders = {
  accept: 'application/json',
  'content-type': 'application/json',
  'x-amz-pay-date': '20190923T231908Z',
  'x-amz-pay-host': 'pay-api.amazon.com',
  'x-amz-pay-region': 'na',
};

describe('buildCanonicalRequest', () => {
  it('reproduces the canonical request example of the signing docs (all lines but the payload hash)', () => {
    const canonical = buildCanonicalRequest({
      method: 'POST',
      path: '/live/v2/checkoutSessions',
      headers: { ...baseHeaders, 'x-amz-pay-idempotency-key': 'cllHyiNvS8cJ8Zas' },
      body: '{}',
    });
    const expected = [
      'POST',
      '/live/v2/checkoutSessions',
      '',
      'accept:application/json',
      'content-type:application/json',
      'x-amz-pay-date:20190923T231908Z',
      'x-amz-pay-host:pay-api.amazon.com',
      'x-amz-pay-idempotency-key:cllHyiNvS8cJ8Zas',
      'x-amz-pay-region:na',
      '',
      'accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region',
      sha256('{}'),
    ].join('\n');
    expect(canonical).toBe(expected);
  });

  it('hashes the empty string for a GET without body', () => {
    const canonical = buildCanonicalRequest({ method: 'get', path: '/v2/charges/S01-1', headers: baseHeaders, body: '' });
    expect(canonical.split('\n')[0]).toBe('GET');
    expect(canonical.endsWith(`\n${sha256('')}`)).toBe(true);
  });

  it('lowercases and sorts header names regardless of input order and case', () => {
    const a = buildCanonicalRequest({ method: 'GET', path: '/v2/x', headers: { 'X-Amz-Pay-Region': 'na', Accept: 'application/json' }, body: '' });
    const b = buildCanonicalRequest({ method: 'GET', path: '/v2/x', headers: { accept: 'application/json', 'x-amz-pay-region': 'na' }, body: '' });
    expect(a).toBe(b);
    expect(a).toContain('accept:application/json\nx-amz-pay-region:na\n\naccept;x-amz-pay-region\n');
  });

  it('refuses the same header twice in different case instead of signing one of them', () => {
    expect(() => buildCanonicalRequest({ method: 'GET', path: '/', headers: { accept: 'a', Accept: 'b' }, body: '' })).toThrow(/accept/);
  });

  it('sorts query parameters by name and encodes values with encodeURIComponent', () => {
    expect(canonicalQueryString({ b: 'x y', a: '1/2' })).toBe('a=1%2F2&b=x%20y');
    expect(canonicalQueryString(undefined)).toBe('');
  });
});

describe('formatPayDate', () => {
  it.each([
    ['2019-09-23T23:19:08.123Z', '20190923T231908Z'],
    ['2024-02-29T00:00:00.000Z', '20240229T000000Z'],
    ['1999-12-31T23:59:59.999Z', '19991231T235959Z'],
  ])('formats %s as %s', (iso, compact) => {
    expect(formatPayDate(new Date(iso))).toBe(compact);
  });

  it('rejects an invalid Date', () => {
    expect(() => formatPayDate(new Date('nope'))).toThrow(RangeError);
  });
});

describe('signRequest', () => {
  const algorithms: SigningAlgorithm[] = ['AMZN-PAY-RSASSA-PSS-V2', 'AMZN-PAY-RSASSA-PSS'];
  const requests = [
    { name: 'GET', method: 'GET', path: '/v2/chargePermissions/S01-0000000-0000000', body: '' },
    { name: 'POST with key', method: 'POST', path: '/sandbox/v2/charges', body: '{"chargePermissionId":"S01-0000000-0000000"}', key: 'abc_DEF-123' },
    { name: 'DELETE with body', method: 'DELETE', path: '/live/v2/chargePermissions/S01-0000000-0000000/close', body: '{"closureReason":"x"}' },
  ];

  for (const algorithm of algorithms) {
    for (const request of requests) {
      it(`${algorithm}: ${request.name} verifies with crypto.verify and salt ${PSS_SALT_LENGTH[algorithm]}`, () => {
        const headers = request.key === undefined ? baseHeaders : { ...baseHeaders, 'x-amz-pay-idempotency-key': request.key };
        const signed = signRequest(
          { method: request.method, path: request.path, headers, body: request.body },
          { publicKeyId: 'SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA', privateKey: testKeyPair().privateKey, algorithm },
        );
        expect(signed.stringToSign).toBe(buildStringToSign(algorithm, signed.canonicalRequest));
        const match = /^(\S+) PublicKeyId=(\S+), SignedHeaders=(\S+), Signature=(\S+)$/.exec(signed.authorization);
        expect(match).not.toBeNull();
        const [, name, keyId, signedHeaders, signature = ''] = match ?? [];
        expect(name).toBe(algorithm);
        expect(keyId).toBe('SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA');
        expect(signedHeaders).toBe(Object.keys(headers).sort().join(';'));
        expect(verifies(signed.stringToSign, signature, PSS_SALT_LENGTH[algorithm])).toBe(true);
        // The body is covered: a different body must not verify.
        const tampered = buildStringToSign(algorithm, buildCanonicalRequest({ method: request.method, path: request.path, headers, body: `${request.body} ` }));
        expect(verifies(tampered, signature, PSS_SALT_LENGTH[algorithm])).toBe(false);
      });
    }
  }

  it('uses salt 32 for V2 and 20 for the original algorithm (a V2 signature does not verify with salt 20)', () => {
    const signed = signRequest(
      { method: 'GET', path: '/v2/refunds/R1', headers: baseHeaders, body: '' },
      { publicKeyId: 'LIVE-AAAAAAAAAAAAAAAAAAAAAAAA', privateKey: testKeyPair().privateKey, algorithm: 'AMZN-PAY-RSASSA-PSS-V2' },
    );
    const signature = signed.authorization.split('Signature=')[1] ?? '';
    expect(verifies(signed.stringToSign, signature, 32)).toBe(true);
    expect(verifies(signed.stringToSign, signature, 20)).toBe(false);
  });
});
