// Refunds after Create Refund: the simulator resolves them (Refunded or Declined), its REFUND
// IPN reaches the daemon, Get Refund tells the truth and the refunds row follows. Without an
// IPN, reconciliation polls refunds left RefundInitiated; a refund whose Create Refund answer
// was lost is linked by its IPN; a refund that is not ours is recorded, not retried.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmazonPayClient, type AmazonPayClient } from '../../amazonpay/client.js';
import { createBillingClient, UpstreamError, type BillingClient } from '../../client/index.js';
import { listCharges } from '../../db/queries/charges.js';
import { listInboxRows } from '../../db/queries/ipn-inbox.js';
import { findRefundByRefundId, listRefundsOfCharge } from '../../db/queries/refunds.js';
import { refunds, unknownRefunds } from '../../db/schema/index.js';
import type { Daemon } from '../../daemon/run.js';
import { anchorSecondsFromNow, eventually, FAST_POLICY } from '../support/billing-harness.js';
import { createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { connectTestTemporal, launcher, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';
import { checkedEvents } from '../support/events.js';

describe('refunds: REFUND IPN → Get Refund → refunds row; reconciliation polls the ones no IPN settles', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let daemon: Daemon;
  let amazonPay: AmazonPayClient;
  let billing: BillingClient;
  let chargeId: string;
  let chargePermissionId: string;
  const taskQueues = uniqueTaskQueues();

  const refundRow = (refundId: string) => findRefundByRefundId(database.db, refundId);

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    // Refunds stay RefundInitiated until the test resolves them.
    sim = await startTestSimulator({ seed: 23, refundDelayMs: 60 * 60_000 });
    daemon = await startTestDaemon({
      database,
      taskQueues,
      amazonPay: sim.amazonPay,
      signature: { mode: 'trusted-key', publicKeyPem: sim.simulator.ipnSigningPublicKeyPem },
    });
    await sim.control.setIpn({ url: daemon.ipnUrl, retryScheduleMs: [500, 1_000, 2_000] });
    amazonPay = createAmazonPayClient(sim.amazonPay);
    billing = createBillingClient({
      db: database.db,
      temporal: async () => temporal.client,
      amazonPay: () => amazonPay,
      environment: 'sandbox',
      taskQueues,
      policy: FAST_POLICY,
      now: () => new Date(),
    });

    // One captured charge of 50.00 USD to refund from (monthly plan: no second charge during the test).
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    chargePermissionId = chargePermission.chargePermissionId;
    await launcher(
      database,
      temporal,
      taskQueues,
    )({
      id: 'sub-refunds',
      chargePermissionId,
      plan: { amountMinor: '5000', currency: 'USD', interval: { unit: 'month', count: 1 } },
      anchor: anchorSecondsFromNow(1),
    });
    const [captured] = await eventually(
      async () => (await listCharges(database.db, 'sub-refunds')).filter((c) => c.state === 'Captured'),
      (rows) => rows.length === 1,
      { timeoutMs: 30_000, what: 'the first charge to be captured' },
    );
    chargeId = captured!.chargeId!;
  });
  afterAll(async () => {
    amazonPay?.close();
    await daemon?.shutdown();
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  it('a refund Amazon Pay completes becomes Refunded, with the time Amazon resolved it', async () => {
    const { refund } = await billing.refund({ chargeId, amountMinor: '100', reason: 'goodwill' });
    expect(refund.state).toBe('RefundInitiated');
    const refundId = refund.refundId!;
    // The RefundInitiated IPN is handled too (Get Refund: still RefundInitiated), and changes nothing.
    await eventually(
      () => refundRow(refundId),
      (r) => r?.lastCheckedAt != null,
      { timeoutMs: 20_000, what: 'the RefundInitiated IPN to be handled' },
    );
    expect((await refundRow(refundId))?.state).toBe('RefundInitiated');

    const resolvedAt = Date.now();
    await sim.control.resolveRefund(refundId);
    const row = await eventually(
      () => refundRow(refundId),
      (r) => r?.state === 'Refunded',
      { timeoutMs: 20_000, what: 'the refund to be Refunded' },
    );
    expect(row?.reasonCode).toBeNull();
    expect(row?.resolvedAt).not.toBeNull();
    // Amazon's timestamp has whole seconds.
    expect(Math.abs(row!.resolvedAt!.getTime() - resolvedAt)).toBeLessThan(5_000);
    expect(row!.updatedAt.getTime()).toBeGreaterThanOrEqual(row!.requestedAt.getTime());

    const inbox = await eventually(
      async () => (await listInboxRows(database.db)).filter((r) => r.objectType === 'REFUND' && r.objectId === refundId),
      (rows) => rows.length === 2 && rows.every((r) => r.status === 'processed'),
      { timeoutMs: 20_000, what: 'both REFUND inbox rows to be processed' },
    );
    expect(inbox.map((r) => r.lastError)).toContain(`refund ${refundId} is Refunded`);
    // One event for the one fact, though two IPNs and a Get Refund each wrote the row.
    const events = (await checkedEvents(database.db, row!.subscriptionId)).filter((e) => e.data.refund_id === refundId);
    expect(events.map((e) => [e.type, e.data.amount, e.data.reason])).toEqual([['refund.succeeded', '1.00', 'goodwill']]);
  });

  it('a refund Amazon Pay declines becomes Declined with the reason, and stops counting against the charge', async () => {
    const { refund, remainingMinor: before } = await billing.refund({ chargeId, amountMinor: '200' });
    const refundId = refund.refundId!;
    await sim.control.resolveRefund(refundId, 'AmazonRejected');
    const row = await eventually(
      () => refundRow(refundId),
      (r) => r?.state === 'Declined',
      { timeoutMs: 20_000, what: 'the refund to be Declined' },
    );
    expect(row?.reasonCode).toBe('AmazonRejected');
    expect(row?.resolvedAt).not.toBeNull();
    const events = (await checkedEvents(database.db, row!.subscriptionId)).filter((e) => e.data.refund_id === refundId);
    expect(events.map((e) => [e.type, e.data.state, e.data.reason_code])).toEqual([['refund.failed', 'Declined', 'AmazonRejected']]);
    // The declined 2.00 is refundable again: a 1.00 refund leaves 2.00 − 1.00 more than before.
    const next = await billing.refund({ chargeId, amountMinor: '100' });
    expect(BigInt(next.remainingMinor)).toBe(BigInt(before) + 200n - 100n);
    await sim.control.resolveRefund(next.refund.refundId!);
    await eventually(
      () => refundRow(next.refund.refundId!),
      (r) => r?.state === 'Refunded',
      { timeoutMs: 20_000, what: 'the follow-up refund to be Refunded' },
    );
  });

  it('without an IPN, reconciliation polls refunds RefundInitiated for more than a few minutes, and only those', async () => {
    await sim.control.setIpn({ url: null });
    try {
      const old = (await billing.refund({ chargeId, amountMinor: '300' })).refund.refundId!;
      await sim.control.resolveRefund(old);
      const recent = (await billing.refund({ chargeId, amountMinor: '50' })).refund.refundId!;
      await sim.control.resolveRefund(recent, 'ProcessingFailure');
      await database.db.execute(sql`update refunds set requested_at = now() - interval '1 hour' where refund_id = ${old}`);

      const result = await daemon.jobs.reconcile();
      expect(result.refunds).toEqual({ checked: 1, resolved: 1, errors: 0 });
      const row = await refundRow(old);
      expect(row?.state).toBe('Refunded');
      expect(row?.resolvedAt).not.toBeNull();
      expect(row?.lastCheckedAt).not.toBeNull();
      // Asked for seconds ago: not polled yet, although Amazon has declined it.
      expect(await refundRow(recent)).toMatchObject({ state: 'RefundInitiated', lastCheckedAt: null });

      // Polled refunds are not asked again: a second run has nothing to do.
      expect((await daemon.jobs.reconcile()).refunds).toEqual({ checked: 0, resolved: 0, errors: 0 });
    } finally {
      await sim.control.setIpn({ url: daemon.ipnUrl });
    }
  });

  it('a refund whose Create Refund answer was lost is linked to its RefundId by the IPN', async () => {
    await sim.control.setFaults({ responseLostRate: 1, responseLostMode: 'status500' });
    let lost: unknown;
    try {
      await billing.refund({ chargeId, amountMinor: '400' });
    } catch (error) {
      lost = error;
    } finally {
      await sim.control.setFaults({ responseLostRate: 0 });
    }
    expect(lost).toBeInstanceOf(UpstreamError);
    const [pending] = (await listRefundsOfCharge(database.db, chargeId)).filter((r) => r.amountMinor === 400n);
    expect(pending).toMatchObject({ refundId: null });

    // Amazon Pay made it anyway and says so by IPN: the pending row learns its RefundId.
    const linked = await eventually(
      async () => (await database.db.select().from(refunds).where(eq(refunds.id, pending!.id)))[0],
      (r) => r?.refundId != null,
      { timeoutMs: 30_000, what: 'the pending refund to be linked' },
    );
    expect(linked?.state).toBe('RefundInitiated');
    await sim.control.resolveRefund(linked!.refundId!);
    await eventually(
      () => refundRow(linked!.refundId!),
      (r) => r?.state === 'Refunded',
      { timeoutMs: 20_000, what: 'the linked refund to be Refunded' },
    );
  });

  it('a REFUND IPN for a refund that is not ours is recorded and settled, not retried', async () => {
    // Made past the library (another system of the merchant): no refunds row.
    const outcome = await amazonPay.createRefund({ chargeId, refundAmount: { amount: '1.00', currencyCode: 'USD' } }, { idempotencyKey: 'foreign-refund-1' });
    expect(outcome.kind).toBe('ok');
    const refundId = outcome.kind === 'ok' ? outcome.body.refundId : '';
    const [row] = await eventually(
      async () => (await listInboxRows(database.db)).filter((r) => r.objectType === 'REFUND' && r.objectId === refundId),
      (rows) => rows.length === 1 && rows[0]!.status !== 'pending' && rows[0]!.status !== 'dispatched',
      { timeoutMs: 20_000, what: 'the foreign REFUND IPN to be settled' },
    );
    expect(row?.status).toBe('ignored');
    expect(row?.attempts).toBeLessThanOrEqual(1);
    const [unknown] = await database.db.select().from(unknownRefunds).where(eq(unknownRefunds.refundId, refundId));
    expect(unknown).toMatchObject({ reason: 'no_refund_row', chargePermissionId, seenCount: 1 });
    expect(await refundRow(refundId)).toBeUndefined();
  });
});
