// Cancellation: now (while sleeping, and while a charge is in flight) and at period end.
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { cancelSignal, permissionStatusSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { SendGate } from '../support/send-gate.js';
import { cancelNow, ledger, newPermission, shortSpec, simulatorCharges, statusHistory, type SubscriptionHandle } from '../support/subscriptions.js';

/** The run's end, whether the signal ended it (completed) or the cancellation request did (cancelled). */
async function closed(handle: SubscriptionHandle): Promise<string> {
  try {
    const result = await handle.result();
    return `completed:${result.status}`;
  } catch (error) {
    // Only a cancellation counts: a workflow that failed for any other reason is a failure here.
    if (error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure) return 'cancelled';
    if (error instanceof WorkflowFailedError) return `failed:${error.cause?.message ?? error.message}`;
    throw error;
  }
}

async function eventuallyCharged(h: BillingHarness, cp: string): Promise<void> {
  await eventually(
    () => simulatorCharges(h, cp),
    (c) => c.length === 1,
    { what: `first charge on ${cp}` },
  );
}

describe('cancelling a subscription', () => {
  let h: BillingHarness;
  const gate = new SendGate();
  beforeAll(async () => {
    h = await startBillingHarness({ spaceCalls: () => gate.pass() });
  });
  afterEach(async () => {
    gate.open();
    await h.control.setFaults({ latencyFixedMs: 0, responseLostRate: 0 });
    await h.control.setInjectedErrors([]);
  });
  afterAll(async () => h?.close());

  it('cancelled while sleeping: no later charge, status canceled with the reason', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('cancel-sleeping', cp, { seconds: 5, firstInSeconds: 1 }));
    await eventually(
      () => simulatorCharges(h, cp),
      (c) => c.length === 1,
      { what: 'cycle 0 charged' },
    );
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.cycle === 1,
      { what: 'sleeping before cycle 1' },
    );

    await cancelNow(h, handle, 'BuyerRequested');
    expect(['cancelled', 'completed:canceled']).toContain(await closed(handle));

    const row = await getSubscription(h.database.db, 'cancel-sleeping');
    expect(row).toMatchObject({ status: 'canceled', statusReason: 'BuyerRequested' });
    expect(row?.endedAt).not.toBeNull();
    // The run is closed, so nothing can charge any more: one charge for good.
    expect(await simulatorCharges(h, cp)).toHaveLength(1);
    expect((await ledger(h, 'cancel-sleeping')).map((r) => r.cycle)).toEqual([0]);
  });

  it('cancelled while a charge is in flight: its outcome is recorded before the run ends', async () => {
    await h.control.setFaults({ latencyFixedMs: 3_000 });
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('cancel-in-flight', cp, { seconds: 5, firstInSeconds: 1 }));
    await eventually(
      async () => (await ledger(h, 'cancel-in-flight')).filter((r) => r.state === 'pending'),
      (rows) => rows.length === 1,
      { intervalMs: 100, what: 'a charge in flight' },
    );
    expect(await simulatorCharges(h, cp)).toHaveLength(0);

    await cancelNow(h, handle, 'BuyerRequested');
    expect(['cancelled', 'completed:canceled']).toContain(await closed(handle));

    const rows = await ledger(h, 'cancel-in-flight');
    expect(rows.map((r) => [r.cycle, r.state])).toEqual([[0, 'Captured']]);
    const charges = await simulatorCharges(h, cp);
    expect(charges.map((c) => c.chargeId)).toEqual([rows[0]!.chargeId]);
    expect(await getSubscription(h.database.db, 'cancel-in-flight')).toMatchObject({ status: 'canceled', statusReason: 'BuyerRequested' });
  });

  it('cancelled while a charge waits its turn to be sent: nothing reaches Amazon, no ledger row is left', async () => {
    gate.hold(0);
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('cancel-before-send', cp, { seconds: 5, firstInSeconds: 1 }));
    await eventually(
      async () => gate.waiting,
      (n) => n === 1,
      { intervalMs: 50, what: 'the first charge waiting to be sent' },
    );

    await cancelNow(h, handle, 'BuyerRequested');
    gate.open();
    expect(['cancelled', 'completed:canceled']).toContain(await closed(handle));

    expect((await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp)).toEqual([]);
    expect(await ledger(h, 'cancel-before-send')).toEqual([]);
    expect(await getSubscription(h.database.db, 'cancel-before-send')).toMatchObject({ status: 'canceled', statusReason: 'BuyerRequested' });
  });

  it('cancelled while a charge that may have reached Amazon waits to be retried: the retry is sent with its key and recorded', async () => {
    // The first request is committed and its answer lost; the retry then waits its turn.
    gate.hold(1);
    await h.control.setFaults({ responseLostRate: 1, responseLostMode: 'status500' });
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('cancel-before-retry', cp, { seconds: 5, firstInSeconds: 1 }));
    await eventually(
      async () => gate.waiting,
      (n) => n === 1,
      { intervalMs: 50, what: 'the retry waiting to be sent' },
    );
    expect(await simulatorCharges(h, cp)).toHaveLength(1);
    await h.control.setFaults({ responseLostRate: 0 });

    await cancelNow(h, handle, 'BuyerRequested');
    gate.open();
    expect(['cancelled', 'completed:canceled']).toContain(await closed(handle));

    const [charge] = await simulatorCharges(h, cp);
    const attempts = (await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp);
    expect(attempts.map((a) => a.idempotencyKey)).toEqual([charge!.idempotencyKey, charge!.idempotencyKey]);
    expect((await ledger(h, 'cancel-before-retry')).map((r) => [r.cycle, r.state, r.chargeId])).toEqual([[0, 'Captured', charge!.chargeId]]);
    expect(await getSubscription(h.database.db, 'cancel-before-retry')).toMatchObject({ status: 'canceled', statusReason: 'BuyerRequested' });
  });

  it('cancelled while a throttled first charge waits to be retried: nothing is sent after the stop, no ledger row is left', async () => {
    // Amazon answers the first request 429 (throttled: nothing processed); its Temporal retry then
    // waits its turn, finds the row the first attempt wrote, and must not send a new charge.
    gate.hold(1);
    const cp = await newPermission(h);
    await h.control.setInjectedErrors([{ operation: 'createCharge', id: cp, status: 429, reasonCode: 'TooManyRequests', times: 1 }]);
    const { handle } = await h.launch(shortSpec('cancel-after-429', cp, { seconds: 5, firstInSeconds: 1 }));
    await eventually(
      async () => gate.waiting,
      (n) => n === 1,
      { intervalMs: 50, what: 'the retry after a 429 waiting to be sent' },
    );
    expect((await ledger(h, 'cancel-after-429')).map((r) => [r.cycle, r.attempt, r.state])).toEqual([[0, 1, 'pending']]);

    const stoppedAt = Date.now();
    await cancelNow(h, handle, 'BuyerRequested');
    gate.open();
    expect(['cancelled', 'completed:canceled']).toContain(await closed(handle));

    const attempts = (await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp);
    expect(attempts.map((a) => a.status)).toEqual([429]);
    expect(attempts.filter((a) => a.at >= stoppedAt)).toEqual([]);
    expect(await simulatorCharges(h, cp)).toEqual([]);
    expect(await ledger(h, 'cancel-after-429')).toEqual([]);
    expect(await getSubscription(h.database.db, 'cancel-after-429')).toMatchObject({ status: 'canceled', statusReason: 'BuyerRequested' });
  });

  it('the buyer closes the permission: the signal stops it at once; without one, the next charge is refused and it stops', async () => {
    const signalled = await newPermission(h);
    const quiet = await newPermission(h);
    const a = await h.launch(shortSpec('closed-signal', signalled, { seconds: 4, firstInSeconds: 1 }));
    const b = await h.launch(shortSpec('closed-quiet', quiet, { seconds: 4, firstInSeconds: 1 }));
    for (const cp of [signalled, quiet]) await eventuallyCharged(h, cp);

    await h.control.closeChargePermission(signalled, 'buyer');
    await a.handle.signal(permissionStatusSignal, { state: 'Closed', reasons: ['BuyerCanceled'] });
    await h.control.closeChargePermission(quiet, 'buyer');

    expect(await a.handle.result()).toMatchObject({ status: 'canceled', reason: 'BuyerCanceled', cycle: 1 });
    const quietResult = await b.handle.result();
    expect(quietResult).toMatchObject({ status: 'canceled', cycle: 1 });
    // The refused attempt is in the ledger; no charge was made after the close.
    expect((await ledger(h, 'closed-quiet')).map((r) => [r.cycle, r.state, r.reasonCode])).toEqual([
      [0, 'Captured', null],
      [1, 'Refused', 'InvalidChargePermissionStatus'],
    ]);
    expect(await simulatorCharges(h, signalled)).toHaveLength(1);
    expect(await simulatorCharges(h, quiet)).toHaveLength(1);
    expect((await getSubscription(h.database.db, 'closed-quiet'))?.status).toBe('canceled');
  });

  it('cancel at period end: the paid period runs out, then it ends at the next due date uncharged', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('cancel-period-end', cp, { seconds: 6, firstInSeconds: 1 }));
    await eventually(
      () => simulatorCharges(h, cp),
      (c) => c.length === 1,
      { what: 'cycle 0 charged' },
    );
    const sleeping = await eventually(
      () => handle.query(stateQuery),
      (s) => s.cycle === 1 && s.nextBillingAt !== null,
      { what: 'sleeping before cycle 1' },
    );

    await handle.signal(cancelSignal, { mode: 'period_end', reason: 'BuyerRequested' });
    expect((await handle.query(stateQuery)).cancelAtPeriodEnd).toBe(true);
    expect((await getSubscription(h.database.db, 'cancel-period-end'))?.status).toBe('active');

    const result = await handle.result();
    expect(result).toEqual({ status: 'canceled', reason: 'BuyerRequested', cycle: 1 });
    const ended = (await statusHistory(h, 'cancel-period-end')).find((e) => e.to === 'canceled');
    expect(ended?.at.getTime()).toBeGreaterThanOrEqual(Date.parse(sleeping.nextBillingAt!));
    expect(await simulatorCharges(h, cp)).toHaveLength(1);
  });
});
