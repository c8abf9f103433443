import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { amazonPayInputFromEnv, parseAmazonPayConfig } from '../../../amazonpay/config.js';
import { testKeyPair } from './support/test-keys.js';

const pem = (): string => testKeyPair().privateKeyPem;
const valid = (): Record<string, unknown> => ({ publicKeyId: 'SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B', privateKey: pem(), region: 'na' });

const dir = mkdtempSync(join(tmpdir(), 'amazonpay-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(input: Record<string, unknown>): string {
  try {
    parseAmazonPayConfig(input);
  } catch (err) {
    expect((err as Error).name).toBe('ConfigError');
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseAmazonPayConfig: accepted inputs', () => {
  it('derives sandbox from a SANDBOX- key and applies defaults', () => {
    const config = parseAmazonPayConfig(valid());
    expect(config).toMatchObject({
      publicKeyId: 'SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B',
      envSpecificKey: true,
      environment: 'sandbox',
      region: 'na',
      endpoint: null,
      merchantId: null,
      storeId: null,
      timeoutMs: 10_000,
      algorithm: 'AMZN-PAY-RSASSA-PSS-V2',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('derives live from a LIVE- key; an agreeing explicit environment is fine', () => {
    expect(parseAmazonPayConfig({ ...valid(), publicKeyId: 'LIVE-AFVX7ULWSGBZ5535PCUQOY7B', environment: 'LIVE' }).environment).toBe('live');
  });

  it('takes a plain key with an explicit environment', () => {
    const config = parseAmazonPayConfig({ ...valid(), publicKeyId: 'AFVX7ULWSGBZ5535PCUQOY7B', environment: 'sandbox' });
    expect(config).toMatchObject({ envSpecificKey: false, environment: 'sandbox' });
  });

  it.each([
    ['us', 'na'],
    ['NA', 'na'],
    ['de', 'eu'],
    ['uk', 'eu'],
    ['eu', 'eu'],
    ['jp', 'jp'],
  ])('maps region %s to %s', (region, expected) => {
    expect(parseAmazonPayConfig({ ...valid(), region }).region).toBe(expected);
  });

  it('reads the key from privateKeyPath and accepts an http endpoint, timeout as a digit string, and V1 algorithm', () => {
    const path = join(dir, 'key.pem');
    writeFileSync(path, pem());
    const { privateKey: _omit, ...rest } = valid();
    const config = parseAmazonPayConfig({
      ...rest,
      privateKeyPath: path,
      endpoint: 'http://127.0.0.1:4010/',
      timeoutMs: '2500',
      algorithm: 'AMZN-PAY-RSASSA-PSS',
      merchantId: 'A1O8CIV1A24A6X',
    });
    expect(config).toMatchObject({ endpoint: 'http://127.0.0.1:4010', timeoutMs: 2500, algorithm: 'AMZN-PAY-RSASSA-PSS', merchantId: 'A1O8CIV1A24A6X' });
  });

  it('maps AMAZON_PAY_* variables and restores newlines in a one-line PEM', () => {
    const input = amazonPayInputFromEnv({
      AMAZON_PAY_PUBLIC_KEY_ID: 'SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B',
      AMAZON_PAY_PRIVATE_KEY: pem().replace(/\n/g, '\\n'),
      AMAZON_PAY_REGION: 'us',
      AMAZON_PAY_TIMEOUT_MS: '3000',
      AMAZON_PAY_STORE_ID: 'amzn1.application-oa2-client.8b5e45312b5248b69eeaStoreId',
      OTHER: 'ignored',
    });
    expect(parseAmazonPayConfig(input)).toMatchObject({ region: 'na', timeoutMs: 3000, storeId: 'amzn1.application-oa2-client.8b5e45312b5248b69eeaStoreId' });
  });
});

describe('parseAmazonPayConfig: the private key never leaks', () => {
  it('is redacted in JSON, inspect, String and template output', () => {
    const config = parseAmazonPayConfig(valid());
    const body = pem().split('\n')[1] ?? '';
    expect(body.length).toBeGreaterThan(20);
    for (const text of [JSON.stringify(config), inspect(config, { depth: 10, showHidden: true }), String(config.privateKey), `${config.privateKey}`]) {
      expect(text).not.toContain(body);
      expect(text).not.toContain('PRIVATE KEY');
    }
    expect(JSON.parse(JSON.stringify(config)).privateKey).toBe('[redacted]');
  });

  it('an unreadable PEM is reported without quoting it', () => {
    const secret = '-----BEGIN PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END PRIVATE KEY-----';
    const message = errorOf({ ...valid(), privateKey: secret });
    expect(message).toContain('privateKey is not a readable PEM private key');
    expect(message).not.toContain('TOPSECRETMATERIAL');
  });

  it('a non-RSA key is refused', () => {
    const message = errorOf({
      ...valid(),
      privateKey: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHbG5l5o8D8dz1f0y1n1zEJ5cgpVQvN2KcsxZ1rEDr5E\n-----END PRIVATE KEY-----\n',
    });
    expect(message).toMatch(/ed25519 key; Amazon Pay requires an RSA key/);
  });
});

describe('parseAmazonPayConfig: error messages name the key, the value and what is accepted', () => {
  it('bad key id', () => {
    const message = errorOf({ ...valid(), publicKeyId: 'sandbox-short' });
    expect(message).toContain('publicKeyId: found "sandbox-short"');
    expect(message).toContain('"LIVE-" or "SANDBOX-" followed by 24 characters 0-9A-Z, or just the 24 characters');
  });

  it('missing key material', () => {
    const { privateKey: _omit, ...rest } = valid();
    expect(errorOf(rest)).toContain('privateKeyPath / privateKey: found nothing, expected exactly one of privateKeyPath (a PEM file) or privateKey');
  });

  it('both key sources at once', () => {
    expect(errorOf({ ...valid(), privateKeyPath: '/x.pem' })).toContain('privateKeyPath and privateKey: found both');
  });

  it('unreadable key file names the path and the errno code', () => {
    const { privateKey: _omit, ...rest } = valid();
    expect(errorOf({ ...rest, privateKeyPath: join(dir, 'missing.pem') })).toMatch(/privateKeyPath: found ".*missing\.pem", which cannot be read \(ENOENT\)/);
  });

  it('environment contradicting the key prefix', () => {
    expect(errorOf({ ...valid(), environment: 'live' })).toContain(
      'environment: found "live", expected sandbox (or nothing) because publicKeyId starts with SANDBOX-',
    );
  });

  it('plain key without environment', () => {
    expect(errorOf({ ...valid(), publicKeyId: 'AFVX7ULWSGBZ5535PCUQOY7B' })).toContain('environment: found nothing, expected sandbox or live');
  });

  it('unknown region', () => {
    expect(errorOf({ ...valid(), region: 'fr' })).toContain('region: found "fr", expected one of na, eu, jp (aliases: us→na, de/uk→eu)');
  });

  it.each([
    ['ftp://127.0.0.1:21', 'ftp://127.0.0.1:21'],
    ['http://127.0.0.1:4010/base', 'http://127.0.0.1:4010/base'],
    ['not a url', 'not a url'],
  ])('bad endpoint %s', (endpoint, shown) => {
    expect(errorOf({ ...valid(), endpoint })).toContain(`endpoint: found "${shown}", expected a base URL`);
  });

  it('does not echo credentials embedded in an endpoint', () => {
    const message = errorOf({ ...valid(), endpoint: 'https://user:hunter2@example.test' });
    expect(message).toContain('endpoint:');
    expect(message).not.toContain('hunter2');
  });

  it('lists every bad key in one message, including unknown keys and the timeout range', () => {
    const message = errorOf({ publicKeyId: 42, region: 'mars', timeoutMs: 5, algorithm: 'RSA', publicKeyID: 'typo', storeId: 'store-1' });
    for (const part of [
      'unknown key "publicKeyID"',
      'publicKeyId: found 42, expected a string',
      'region: found "mars"',
      'timeoutMs: found 5, expected an integer number of milliseconds between 100 and 120000',
      'algorithm: found "RSA", expected one of AMZN-PAY-RSASSA-PSS-V2, AMZN-PAY-RSASSA-PSS',
      'privateKeyPath / privateKey: found nothing',
      'storeId: found "store-1", expected a Store ID: "amzn1.application-oa2-client." followed by its letters and digits',
    ]) {
      expect(message).toContain(part);
    }
  });

  it('empty input names the required keys', () => {
    const message = errorOf({});
    expect(message).toContain('publicKeyId: found nothing');
    expect(message).toContain('region: found nothing');
  });
});
