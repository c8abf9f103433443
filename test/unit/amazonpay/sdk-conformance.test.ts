// Our canonical request against the official Node SDK's (clientHelper.signHeaders) for the same
// inputs. PSS signatures are randomized, so we verify the SDK's signature against the string-to-sign
// that *our* code builds from the SDK's headers: it verifies only if both canonical requests match.
import { constants, verify } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { buildCanonicalRequest, buildStringToSign, PSS_SALT_LENGTH } from '../../../amazonpay/signing.js';
import type { SigningAlgorithm } from '../../../amazonpay/signing.js';
import { testKeyPair } from './support/test-keys.js';

interface SdkOptions {
  method: string;
  urlFragment: string;
  payload?: unknown;
  headers?: Record<string, string>;
  queryParams?: Record<string, string>;
}
interface SdkHelper {
  prepareOptions(config: Record<string, unknown>, options: SdkOptions): SdkOptions & { payload: string | undefined };
  signHeaders(config: Record<string, unknown>, options: SdkOptions): Record<string, string>;
}

const sdk = createRequire(import.meta.url)('@amazonpay/amazon-pay-api-sdk-nodejs/src/clientHelper.js') as SdkHelper;

const cases: { name: string; publicKeyId: string; sandbox?: boolean; options: SdkOptions; expectedPath: string }[] = [
  {
    name: 'POST create charge, SANDBOX- key',
    publicKeyId: 'SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA',
    options: {
      method: 'POST',
      urlFragment: 'charges',
      payload: { chargePermissionId: 'S01-0000000-0000000', chargeAmount: { amount: '14.00', currencyCode: 'USD' }, captureNow: true },
      headers: { 'x-amz-pay-idempotency-key': 'k0000000000000000000000000000001' },
    },
    expectedPath: '/v2/charges',
  },
  {
    name: 'GET charge permission, plain key in sandbox',
    publicKeyId: 'AFVX7ULWSGBZ5535PCUQOY7B',
    sandbox: true,
    options: { method: 'GET', urlFragment: 'chargePermissions/S01-0000000-0000000' },
    expectedPath: '/sandbox/v2/chargePermissions/S01-0000000-0000000',
  },
  {
    name: 'DELETE close with body, plain key in live',
    publicKeyId: 'AFVX7ULWSGBZ5535PCUQOY7B',
    sandbox: false,
    options: {
      method: 'DELETE',
      urlFragment: 'chargePermissions/S01-0000000-0000000/close',
      payload: { closureReason: 'No more charges required', cancelPendingCharges: false },
    },
    expectedPath: '/live/v2/chargePermissions/S01-0000000-0000000/close',
  },
  {
    name: 'GET with query string, LIVE- key',
    publicKeyId: 'LIVE-AAAAAAAAAAAAAAAAAAAAAAAA',
    options: { method: 'GET', urlFragment: 'refunds/S01-1-1-R1', queryParams: { b: 'x y/z', a: '1' } },
    expectedPath: '/v2/refunds/S01-1-1-R1',
  },
];

const algorithms: SigningAlgorithm[] = ['AMZN-PAY-RSASSA-PSS-V2', 'AMZN-PAY-RSASSA-PSS'];

describe('canonical request conformance with @amazonpay/amazon-pay-api-sdk-nodejs 2.3.4', () => {
  for (const algorithm of algorithms) {
    for (const testCase of cases) {
      it(`${algorithm}: ${testCase.name}`, () => {
        const config = {
          publicKeyId: testCase.publicKeyId,
          privateKey: testKeyPair().privateKeyPem,
          region: 'us',
          sandbox: testCase.sandbox,
          algorithm,
        };
        const prepared = sdk.prepareOptions(config, { ...testCase.options });
        const sdkHeaders = sdk.signHeaders(config, prepared);
        const { authorization, ...sentHeaders } = sdkHeaders;
        expect(`/${prepared.urlFragment}`).toBe(testCase.expectedPath);

        const canonical = buildCanonicalRequest({
          method: testCase.options.method,
          path: testCase.expectedPath,
          ...(testCase.options.queryParams === undefined ? {} : { query: testCase.options.queryParams }),
          headers: sentHeaders,
          body: prepared.payload ?? '',
        });
        const match = /^(\S+) PublicKeyId=(\S+), SignedHeaders=(\S+), Signature=(\S+)$/.exec(authorization ?? '');
        const [, name, , signedHeaders, signature = ''] = match ?? [];
        expect(name).toBe(algorithm);
        expect(canonical.split('\n').at(-2)).toBe(signedHeaders);
        const ok = verify(
          'sha256',
          Buffer.from(buildStringToSign(algorithm, canonical)),
          { key: testKeyPair().publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_LENGTH[algorithm] },
          Buffer.from(signature, 'base64'),
        );
        expect(ok).toBe(true);
      });
    }
  }
});
