import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBillingYaml } from '../../../config/billing.js';
import { ConfigError, loadConfig } from '../../../config/index.js';
import { applyTemporalEnv, parseTemporalYaml } from '../../../config/temporal.js';

function temporalError(yaml: string): string {
  try {
    parseTemporalYaml(yaml, 'temporal.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('temporal.yaml validation', () => {
  it('accepts the committed file', () => {
    const config = loadConfig({}, process.cwd());
    expect(config.temporal.embedded).toBe(true);
    expect(config.temporal.devServer.searchAttributes).toMatchObject({ BillingStatus: 'Keyword', NextBillingAt: 'Datetime', BillingCycle: 'Int' });
    expect(config.billing.policy.dunningRetryDelaysMs).toEqual([86_400_000, 172_800_000, 172_800_000, 172_800_000]);
  });

  it.each([
    ['an unknown key', 'worker:\n  maxCachedWorkflow: 10\n', /unknown key "worker\.maxCachedWorkflow"/],
    ['a wrong type', 'worker:\n  maxCachedWorkflows: lots\n', /worker\.maxCachedWorkflows: found "lots", expected a whole number/],
    [
      'a sticky timeout under a second',
      'worker:\n  stickyQueueScheduleToStartTimeoutMs: 500\n',
      /worker\.stickyQueueScheduleToStartTimeoutMs: found 500, expected milliseconds ≥ 1000/,
    ],
    ['a bad port', 'devServer:\n  port: 70000\n', /devServer\.port: found 70000, expected a port number 1-65535/],
    ['a bad address', 'connection:\n  address: "no port here"\n', /connection\.address: found "no port here", expected host:port/],
    [
      'a bad search attribute type',
      'devServer:\n  searchAttributes:\n    Foo: Integer\n',
      /devServer\.searchAttributes\.Foo: found "Integer", expected one of Keyword/,
    ],
    ['broken YAML', 'worker: [\n', /not valid YAML/],
  ])('rejects %s with a one-paragraph message naming the key', (_case, yaml, pattern) => {
    const message = temporalError(yaml);
    expect(message).toMatch(pattern);
    expect(message).toMatch(/^Invalid configuration in temporal\.yaml: /);
    expect(message).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('lists every problem at once', () => {
    const message = temporalError('devServer:\n  port: 0\n  uiPort: "x"\nrateLimits:\n  createChargePerSecond: -1\n');
    expect(message).toMatch(/devServer\.port/);
    expect(message).toMatch(/devServer\.uiPort/);
    expect(message).toMatch(/rateLimits\.createChargePerSecond/);
  });

  it('lets Temporal environment variables override the file, and an API key turns TLS on', () => {
    const file = parseTemporalYaml('connection:\n  address: file:7233\n  namespace: from-file\n', 'temporal.yaml');
    const config = applyTemporalEnv(file, { TEMPORAL_ADDRESS: 'cloud.example:7233', TEMPORAL_NAMESPACE: 'billing.abc', TEMPORAL_API_KEY: 'secret-key' });
    expect(config.connection).toMatchObject({ address: 'cloud.example:7233', namespace: 'billing.abc', apiKey: 'secret-key', tls: { enabled: true } });
    expect(config.embedded).toBe(false);
    expect(() => applyTemporalEnv(file, { TEMPORAL_ADDRESS: 'nonsense' })).toThrow(/TEMPORAL_ADDRESS: found "nonsense", expected host:port/);
    // Credentials in the address are refused, and not echoed.
    for (const address of ['ops:hunter2@temporal.internal:7233', 'ops@temporal.internal:7233']) {
      expect(() => applyTemporalEnv(file, { TEMPORAL_ADDRESS: address })).toThrow(
        /TEMPORAL_ADDRESS: found "\*\*\*", expected host:port \(credentials go in TEMPORAL_API_KEY\)/,
      );
    }
  });

  it('a TLS setting turns TLS on (mTLS files without TEMPORAL_TLS were ignored: plain text); with TEMPORAL_TLS=false it is refused', () => {
    const file = parseTemporalYaml('connection:\n  address: file:7233\n', 'temporal.yaml');
    const mtls = { TEMPORAL_TLS_CLIENT_CERT_PATH: '/etc/billing/client.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/billing/client.key' };
    expect(applyTemporalEnv(file, mtls).connection.tls).toMatchObject({ enabled: true, clientCertPath: '/etc/billing/client.pem' });
    expect(applyTemporalEnv(file, { TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/etc/ca.pem' }).connection.tls.enabled).toBe(true);
    const fromFile = parseTemporalYaml('connection:\n  address: file:7233\n  tls:\n    serverName: temporal.internal\n', 'temporal.yaml');
    expect(applyTemporalEnv(fromFile, {}).connection.tls.enabled).toBe(true);
    expect(() => applyTemporalEnv(file, { ...mtls, TEMPORAL_TLS: 'false' })).toThrow(
      /TEMPORAL_TLS: found "false" while connection\.tls clientCertPath, clientKeyPath are set \(TEMPORAL_TLS_\*\): they need TLS; set TEMPORAL_TLS=true or remove them/,
    );
    expect(applyTemporalEnv(file, {}).connection.tls.enabled).toBe(false);
  });

  it('never echoes an API key given in the file', () => {
    const message = temporalError('connection:\n  apiKey: 12345\n');
    expect(message).toMatch(/connection\.apiKey: found \[redacted\]/);
    expect(message).not.toMatch(/12345/);
  });

  it('reads a file named by BILLING_TEMPORAL_CONFIG and reports it by path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'bad.yaml'), 'taskQueues:\n  charges: ""\n');
    expect(() => loadConfig({ BILLING_TEMPORAL_CONFIG: join(dir, 'bad.yaml') }, process.cwd())).toThrow(
      /bad\.yaml: taskQueues\.charges: found "", expected a task queue name/,
    );
  });
});

describe('billing.yaml validation', () => {
  it('parses durations and cron expressions', () => {
    const config = parseBillingYaml('policy:\n  dunningRetryDelays: ["30s", "2h"]\nhousekeeping:\n  reconcile: "*/5 * * * *"\n', 'billing.yaml');
    expect(config.policy.dunningRetryDelaysMs).toEqual([30_000, 7_200_000]);
    expect(config.housekeeping.reconcile).toBe('*/5 * * * *');
  });

  it.each([
    ['a bad duration', 'policy:\n  paymentMethodGrace: 2 weeks\n', /policy\.paymentMethodGrace: found "2 weeks", expected a duration such as/],
    ['a bad cron', 'housekeeping:\n  prune: every night\n', /housekeeping\.prune: found "every night", expected a valid cron expression/],
    [
      'an unknown final action',
      'policy:\n  finalAction: refund\n',
      /policy\.finalAction: found "refund", expected one of cancel, cancel_and_close_permission, mark_unpaid/,
    ],
    [
      'a topic that is not an SNS ARN',
      'ipn:\n  allowedTopicArns: ["AmazonPayIpn"]\n',
      /ipn\.allowedTopicArns\.0: found "AmazonPayIpn", expected an SNS topic ARN such as/,
    ],
    [
      'a topic list given as one string',
      'ipn:\n  allowedTopicArns: "arn:aws:sns:us-east-1:123456789012:x"\n',
      /ipn\.allowedTopicArns: found "arn:aws:sns:us-east-1:123456789012:x", expected a list of SNS topic ARNs/,
    ],
    ['a wildcard account', 'ipn:\n  allowedTopicArns: ["arn:aws:sns:us-east-1:*:x"]\n', /ipn\.allowedTopicArns\.0: found "arn:aws:sns:us-east-1:\*:x"/],
    ['a bad timeout', 'ipn:\n  headersTimeout: 10\n', /ipn\.headersTimeout: found 10, expected a duration such as/],
    ['a timeout over 10 minutes', 'ipn:\n  requestTimeout: 1h\n', /ipn\.requestTimeout: found "1h", expected a duration from "100ms" to "10m"/],
    ['headersTimeout longer than requestTimeout', 'ipn:\n  headersTimeout: 40s\n', /ipn\.headersTimeout: must not be longer than ipn\.requestTimeout/],
    ['a message age beyond pruneAfter', 'ipn:\n  maxMessageAge: 40d\n', /ipn\.maxMessageAge: must be shorter than housekeeping\.pruneAfter/],
    ['no connections', 'ipn:\n  maxConnections: 0\n', /ipn\.maxConnections: found 0, expected a whole number 1-100000/],
    ['a tiny header limit', 'ipn:\n  maxHeaderBytes: 100\n', /ipn\.maxHeaderBytes: found 100, expected at least 1024 bytes/],
    [
      'a continue-as-new bound of 0 cycles',
      'policy:\n  continueAsNewEveryCycles: 0\n',
      /policy\.continueAsNewEveryCycles: found 0, expected a whole number of cycles 1-120/,
    ],
    [
      'a continue-as-new bound that is no whole number',
      'policy:\n  continueAsNewEveryCycles: 2.5\n',
      /policy\.continueAsNewEveryCycles: found 2\.5, expected a whole number of cycles 1-120/,
    ],
    [
      'a continue-as-new bound given as text',
      'policy:\n  continueAsNewEveryCycles: yearly\n',
      /policy\.continueAsNewEveryCycles: found "yearly", expected a whole number of cycles 1-120/,
    ],
    ['a capacity of 0', 'forecast:\n  capacityPerSecond: 0\n', /forecast\.capacityPerSecond: found 0, expected charges per second \(a number > 0\), or null/],
    ['a capacity given as text', 'forecast:\n  capacityPerSecond: fast\n', /forecast\.capacityPerSecond: found "fast", expected charges per second/],
    [
      'a capacity lookback of a minute',
      'forecast:\n  capacityLookback: 1m\n',
      /forecast\.capacityLookback: found "1m", expected a duration from "1h" to "366d"/,
    ],
    [
      'an idempotency retention under a day',
      'api:\n  idempotencyRetention: 12h\n',
      /api\.idempotencyRetention: found "12h", expected a duration from "24h" to "366d"/,
    ],
    [
      'an idempotency retention that is no duration',
      'api:\n  idempotencyRetention: forever\n',
      /api\.idempotencyRetention: found "forever", expected a duration such as/,
    ],
  ])('rejects %s', (_case, yaml, pattern) => {
    expect(() => parseBillingYaml(yaml, 'billing.yaml')).toThrow(pattern);
  });

  it('continues a subscription as new every 12 settled cycles by default, as configured otherwise', () => {
    expect(parseBillingYaml('', 'billing.yaml').policy.continueAsNewEveryCycles).toBe(12);
    expect(parseBillingYaml('policy:\n  continueAsNewEveryCycles: 24\n', 'billing.yaml').policy.continueAsNewEveryCycles).toBe(24);
    expect(loadConfig({}, process.cwd()).billing.policy).toEqual(parseBillingYaml('', 'billing.yaml').policy); // the committed file states the defaults
  });

  it("reads the IPN endpoint's topics, Timestamp window and limits, with defaults for the rest", () => {
    const { ipn } = parseBillingYaml(
      'ipn:\n  allowedTopicArns: ["arn:aws:sns:us-east-1:123456789012:AmazonPayIpn", "arn:aws:sns:eu-west-1:123456789012:*"]\n  headersTimeout: 2s\n  maxConnections: 50\n',
      'billing.yaml',
    );
    expect(ipn).toEqual({
      host: '127.0.0.1',
      port: 8787,
      path: '/ipn',
      maxBodyBytes: 262_144,
      allowedTopicArns: ['arn:aws:sns:us-east-1:123456789012:AmazonPayIpn', 'arn:aws:sns:eu-west-1:123456789012:*'],
      maxMessageAge: 86_400_000,
      maxClockSkew: 300_000,
      headersTimeout: 2_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 5_000,
      maxConnections: 50,
      maxHeaderBytes: 16_384,
    });
    expect(loadConfig({}, process.cwd()).billing.ipn).toEqual(parseBillingYaml('', 'billing.yaml').ipn); // the committed file states the defaults
  });

  it('forecasts at the quota alone unless the ledger or forecast.capacityPerSecond says the daemon is slower; the ledger is read 35 days back', () => {
    expect(parseBillingYaml('', 'billing.yaml').forecast).toEqual({ warnAfter: 1_800_000, capacityPerSecond: null, capacityLookback: 35 * 86_400_000 });
    expect(parseBillingYaml('forecast:\n  capacityPerSecond: 25\n  capacityLookback: 90d\n', 'billing.yaml').forecast).toMatchObject({
      capacityPerSecond: 25,
      capacityLookback: 90 * 86_400_000,
    });
    expect(loadConfig({}, process.cwd()).billing.forecast).toEqual(parseBillingYaml('', 'billing.yaml').forecast); // the committed file states the defaults
  });

  it('keeps Idempotency-Keys 24 h by default, longer when configured', () => {
    expect(parseBillingYaml('', 'billing.yaml').api.idempotencyRetention).toBe(86_400_000);
    expect(parseBillingYaml('api:\n  idempotencyRetention: 7d\n', 'billing.yaml').api.idempotencyRetention).toBe(7 * 86_400_000);
    expect(loadConfig({}, process.cwd()).billing.api).toEqual(parseBillingYaml('', 'billing.yaml').api); // the committed file states the defaults
  });
});

describe('environment validation', () => {
  it('rejects a non-postgres DATABASE_URL and an unknown LOG_LEVEL in one message', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' }, process.cwd())).toThrow(
      /DATABASE_URL: expected a postgres:\/\/.*; LOG_LEVEL: found "loud"/,
    );
  });
});
