// The official Node SDK (over HTTPS, self-signed cert, overrideServiceUrl) against the simulator:
// its requests must verify and the responses must have the documented statuses and keys.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../simulator/server.js';
import { createChargePermissionAsBuyer } from '../../../simulator/control-actions.js';
import { generateTestKeyPair } from './support/signing.js';

const run = promisify(execFile);
const RUNNER = fileURLToPath(new URL('./support/official-sdk-runner.cjs', import.meta.url));
const CHARGE_KEYS = [
  'chargeId',
  'chargeAmount',
  'chargePermissionId',
  'captureAmount',
  'refundedAmount',
  'softDescriptor',
  'providerMetadata',
  'convertedAmount',
  'conversionRate',
  'channel',
  'chargeInitiator',
  'statusDetails',
  'creationTimestamp',
  'expirationTimestamp',
  'releaseEnvironment',
  'merchantMetadata',
  'platformId',
  'webCheckoutDetails',
];
const CP_KEYS = [
  'chargePermissionId',
  'chargePermissionReferenceId',
  'platformId',
  'buyer',
  'shippingAddress',
  'billingAddress',
  'paymentPreferences',
  'statusDetails',
  'creationTimestamp',
  'expirationTimestamp',
  'merchantMetadata',
  'releaseEnvironment',
  'limits',
  'chargePermissionType',
  'recurringMetadata',
  'presentmentCurrency',
];
const REFUND_KEYS = ['refundId', 'chargeId', 'creationTimestamp', 'refundAmount', 'statusDetails', 'softDescriptor', 'releaseEnvironment'];

interface OpResult {
  op: string;
  status: number;
  keys?: string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's responses are untyped JSON
  data?: any;
  error?: unknown;
  requestId?: string | null;
}

let dir: string;
let sim: Simulator;
const keys = generateTestKeyPair();
const outputs = new Map<string, OpResult[]>();

const RUNS = [
  { tag: 'sandboxKeyV1', publicKeyId: 'SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA', algorithm: 'AMZN-PAY-RSASSA-PSS', sandbox: true, env: 'Sandbox' },
  { tag: 'liveKeyV2', publicKeyId: 'LIVE-BBBBBBBBBBBBBBBBBBBBBBBB', algorithm: 'AMZN-PAY-RSASSA-PSS-V2', sandbox: false, env: 'Live' },
  { tag: 'plainSandboxV2', publicKeyId: 'CCCCCCCCCCCCCCCCCCCCCCCC', algorithm: 'AMZN-PAY-RSASSA-PSS-V2', sandbox: true, env: 'Sandbox' },
  { tag: 'plainLiveV1', publicKeyId: 'CCCCCCCCCCCCCCCCCCCCCCCC', algorithm: 'AMZN-PAY-RSASSA-PSS', sandbox: false, env: 'Live' },
] as const;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-tls-'));
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-days',
    '1',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ]);
  sim = await startSimulator({
    tls: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    throttle: { table: 'off' },
    publicKeys: Object.fromEntries(RUNS.map((r) => [r.publicKeyId, keys.publicKeyPem])),
  });
  const runs = RUNS.map((r) => {
    const cp = createChargePermissionAsBuyer(sim.runtime.engine, { type: 'Recurring', currency: 'USD', environment: r.env });
    return { ...r, chargePermissionId: (cp.chargePermission as { chargePermissionId: string }).chargePermissionId };
  });
  const { stdout } = await run('node', [RUNNER], {
    env: { ...process.env, SDK_RUN: JSON.stringify({ port: sim.port, privateKeyPem: keys.privateKeyPem, runs }) },
    timeout: 60_000,
  });
  for (const entry of JSON.parse(stdout) as Array<{ tag: string; results: OpResult[] }>) outputs.set(entry.tag, entry.results);
}, 90_000);

afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(RUNS.map((r) => [r.tag, r] as const))('official SDK %s', (tag, config) => {
  const result = (op: string): OpResult => {
    const found = outputs.get(tag)?.find((r) => r.op === op);
    if (!found) throw new Error(`no result for ${op}`);
    return found;
  };

  it('Create Charge → 201 with the Charge keys', () => {
    const r = result('createCharge');
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(201);
    expect(r.keys).toEqual(expect.arrayContaining(CHARGE_KEYS));
    expect(r.data.statusDetails.state).toBe('Authorized');
    expect(r.data.releaseEnvironment).toBe(config.env);
    expect(r.requestId).toBeTruthy();
  });

  it('Get / Capture / Cancel Charge → 200', () => {
    for (const op of ['getCharge', 'captureCharge', 'cancelCharge']) {
      const r = result(op);
      expect([op, r.status, r.error]).toEqual([op, 200, undefined]);
      expect(r.keys).toEqual(expect.arrayContaining(CHARGE_KEYS));
    }
    expect(result('captureCharge').data.statusDetails.state).toBe('Captured');
    expect(result('cancelCharge').data.statusDetails).toMatchObject({ state: 'Canceled', reasonCode: 'MerchantCanceled' });
  });

  it('Create Refund → 201, Get Refund → 200', () => {
    expect([result('createRefund').status, result('createRefund').error]).toEqual([201, undefined]);
    expect(result('createRefund').keys).toEqual(expect.arrayContaining(REFUND_KEYS));
    expect(result('createRefund').data.refundAmount).toEqual({ amount: '4.00', currencyCode: 'USD' });
    expect([result('getRefund').status, result('getRefund').error]).toEqual([200, undefined]);
  });

  it('Get / Update / Close Charge Permission → 200 with the Charge Permission keys', () => {
    for (const op of ['getChargePermission', 'updateChargePermission', 'closeChargePermission']) {
      const r = result(op);
      expect([op, r.status, r.error]).toEqual([op, 200, undefined]);
      expect(r.keys).toEqual(expect.arrayContaining(CP_KEYS));
    }
    expect(result('updateChargePermission').data.merchantMetadata.merchantReferenceId).toBe('ref-1');
    expect(result('closeChargePermission').data.statusDetails.state).toBe('Closed');
  });
});
