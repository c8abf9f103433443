// Issue 13 §2: a host clock ahead of Amazon's. The simulator (own clock, real HTTP) refuses an
// x-amz-pay-date in its future; the product's client learns the offset from the Date header of
// the refusal, signs again with the corrected date, and every later call is dated right.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmazonPayClient, type AmazonPayClient } from '../../../amazonpay/client.js';
import { parseAmazonPayConfig } from '../../../amazonpay/config.js';
import { createChargePermissionAsBuyer } from '../../../simulator/control-actions.js';
import { createSimulatorControl } from '../../../simulator/control-client.js';
import { startSimulator, type Simulator } from '../../../simulator/server.js';
import { generateTestKeyPair } from '../simulator/support/signing.js';

const keys = generateTestKeyPair();
const KEY_ID = 'SANDBOX-CL0CKCL0CKCL0CKCL0CKCL0C';
const AMAZON_NOW = Date.parse('2025-10-26T01:30:00Z');
const USD = { amount: '14.00', currencyCode: 'USD' };
let sim: Simulator;
const clients: AmazonPayClient[] = [];

beforeAll(async () => {
  // Amazon's clock stands still at AMAZON_NOW (+ the real time elapsed, so Date headers move).
  const startedAt = Date.now();
  sim = await startSimulator({
    clock: () => new Date(AMAZON_NOW + Date.now() - startedAt),
    throttle: { table: 'off' },
    publicKeys: { [KEY_ID]: keys.publicKeyPem },
  });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await sim?.close();
});

/** A client whose host clock is `skewMs` off Amazon's (positive: ahead). */
function clientWithSkew(skewMs: number): AmazonPayClient {
  const config = parseAmazonPayConfig({ publicKeyId: KEY_ID, privateKey: keys.privateKeyPem, region: 'na', endpoint: sim.url, timeoutMs: 5_000 });
  const client = createAmazonPayClient(config, { now: () => new Date(sim.runtime.engine.nowMs() + skewMs) });
  clients.push(client);
  return client;
}

function newPermission(): string {
  const cp = createChargePermissionAsBuyer(sim.runtime.engine, { type: 'Recurring', currency: 'USD', environment: 'Sandbox' });
  return (cp.chargePermission as { chargePermissionId: string }).chargePermissionId;
}

describe('a host clock two minutes ahead of Amazon Pay', () => {
  it('Create Charge: refused once for the date, resent corrected with the same key, one charge', async () => {
    const client = clientWithSkew(120_000);
    const cp = newPermission();
    const created = await client.createCharge({ chargePermissionId: cp, chargeAmount: USD, captureNow: true }, { idempotencyKey: 'skew-create-1' });
    expect(created).toMatchObject({ kind: 'ok', status: 201 });
    // Learned within the Date header's one-second resolution (plus transit), on the safe side.
    expect(client.clockOffsetMs()).toBeLessThanOrEqual(-120_000);
    expect(client.clockOffsetMs()).toBeGreaterThan(-122_500);

    const attempts = (await createSimulatorControl(sim.url).attempts()).attempts.filter((a) => a.chargePermissionId === cp);
    expect(attempts.map((a) => [a.idempotencyKey, a.status, a.outcome])).toEqual([
      ['skew-create-1', 400, 'InvalidHeaderValue'],
      ['skew-create-1', 201, 'Created'],
    ]);

    // Once learned, the next charge goes out dated right the first time.
    const again = await client.createCharge({ chargePermissionId: cp, chargeAmount: USD, captureNow: true }, { idempotencyKey: 'skew-create-2' });
    expect(again).toMatchObject({ kind: 'ok', status: 201 });
    const second = (await createSimulatorControl(sim.url).attempts()).attempts.filter((a) => a.idempotencyKey === 'skew-create-2');
    expect(second.map((a) => a.status)).toEqual([201]);
  });

  it('every operation (reads, capture, cancel, refunds, update, close) signs with the corrected clock', async () => {
    const setup = clientWithSkew(0);
    const cp = newPermission();
    const authorized = await setup.createCharge({ chargePermissionId: cp, chargeAmount: USD, captureNow: false }, { idempotencyKey: 'skew-ops-a' });
    const toCancel = await setup.createCharge({ chargePermissionId: cp, chargeAmount: USD, captureNow: false }, { idempotencyKey: 'skew-ops-b' });
    const captured = await setup.createCharge({ chargePermissionId: cp, chargeAmount: USD, captureNow: true }, { idempotencyKey: 'skew-ops-c' });
    const id = (o: unknown, field: string): string => (o as { body: Record<string, string> }).body[field] ?? '';
    const refund = await setup.createRefund(
      { chargeId: id(captured, 'chargeId'), refundAmount: { amount: '1.00', currencyCode: 'USD' } },
      { idempotencyKey: 'skew-ops-r' },
    );
    expect(refund).toMatchObject({ kind: 'ok' });

    const calls: Array<[string, (c: AmazonPayClient) => Promise<{ kind: string }>]> = [
      ['getCharge', (c) => c.getCharge(id(captured, 'chargeId'))],
      ['captureCharge', (c) => c.captureCharge(id(authorized, 'chargeId'), { captureAmount: USD }, { idempotencyKey: 'skew-ops-cap' })],
      ['cancelCharge', (c) => c.cancelCharge(id(toCancel, 'chargeId'), { cancellationReason: 'clock test' })],
      ['getChargePermission', (c) => c.getChargePermission(cp)],
      ['updateChargePermission', (c) => c.updateChargePermission(cp, { merchantMetadata: { merchantReferenceId: 'clock' } })],
      [
        'createRefund',
        (c) => c.createRefund({ chargeId: id(captured, 'chargeId'), refundAmount: { amount: '2.00', currencyCode: 'USD' } }, { idempotencyKey: 'skew-ops-r2' }),
      ],
      ['getRefund', (c) => c.getRefund(id(refund, 'refundId'))],
      ['closeChargePermission', (c) => c.closeChargePermission(cp, { closureReason: 'clock test', cancelPendingCharges: false })],
    ];
    for (const [name, call] of calls) {
      const client = clientWithSkew(90_000); // a fresh client: it has learned nothing yet
      expect(await call(client), name).toMatchObject({ kind: 'ok' });
      expect(client.clockOffsetMs(), name).toBeLessThanOrEqual(-90_000);
    }
  });

  it('a host clock 20 minutes behind (past the 15-minute rule) is corrected the same way', async () => {
    const client = clientWithSkew(-20 * 60_000);
    expect(await client.getChargePermission(newPermission())).toMatchObject({ kind: 'ok' });
    expect(client.clockOffsetMs()).toBeGreaterThan(19 * 60_000);
  });

  it('a host clock in step with Amazon keeps its offset at zero', async () => {
    const client = clientWithSkew(0);
    const cp = newPermission();
    for (let i = 0; i < 3; i++) expect(await client.getChargePermission(cp)).toMatchObject({ kind: 'ok' });
    expect(Math.abs(client.clockOffsetMs())).toBeLessThan(1_500);
  });
});
