// Pause/resume, the changePlan update (and its validator), and the state query.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchSubscription } from '../../client/launch.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { changePlanUpdate, pauseSignal, resumeSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { ledger, newPermission, shortSpec, simulatorCharges, statusHistory } from '../support/subscriptions.js';

// Each case has its own subscription and Charge Permission and touches no state shared by the
// file (simulator faults, clock): they run side by side.
describe.concurrent('subscription messages', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => h?.close());

  it('pause stops billing; resume skips the cycles that came due meanwhile and bills on', async () => {
    const cp = await newPermission(h);
    // 4-second cycles: the pause lands between cycle 0 and cycle 1 also on a loaded machine (a pause
    // during a cycle's charge holds that cycle, its billing date shown: pause-holds-every-wait).
    const { handle } = await h.launch(shortSpec('pause-1', cp, { seconds: 4, firstInSeconds: 1 }));
    await eventually(
      () => simulatorCharges(h, cp),
      (c) => c.length === 1,
      { what: 'cycle 0 charged' },
    );
    // Cycle 0 settled and cycle 1 planned: the pause lands in the wait between them (Amazon's
    // charge is recorded before the workflow has its answer, so the charge alone is too early).
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.cycle === 1 && s.status === 'active' && s.nextBillingAt !== null,
      { what: 'waiting for cycle 1' },
    );

    await handle.signal(pauseSignal, { reason: 'BuyerAskedForABreak' });
    const paused = await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'paused',
      { what: 'paused' },
    );
    expect(paused).toMatchObject({ paused: true, statusReason: 'BuyerAskedForABreak', nextBillingAt: null });
    // The query answers from memory; the row follows once the status activity has run.
    const row = await eventually(
      () => getSubscription(h.database.db, 'pause-1'),
      (r) => r?.status === 'paused',
      { what: 'paused in PostgreSQL' },
    );
    expect(row).toMatchObject({ status: 'paused', statusReason: 'BuyerAskedForABreak' });
    const chargesWhenPaused = (await simulatorCharges(h, cp)).length;
    // Wait (by the clock, not for the workflow) until two more cycles would have come due.
    const pausedAt = Date.now();
    await eventually(
      async () => Date.now(),
      (now) => now > pausedAt + 8_500,
      { what: 'two cycles of pause' },
    );
    expect(await simulatorCharges(h, cp)).toHaveLength(chargesWhenPaused);

    await handle.signal(resumeSignal, { reason: 'BuyerIsBack' });
    await eventually(
      () => simulatorCharges(h, cp),
      (c) => c.length === chargesWhenPaused + 1,
      { what: 'billing after resume' },
    );
    const history = await statusHistory(h, 'pause-1');
    const skipped = history.find((e) => e.reason === 'cycles_skipped_while_paused');
    expect(skipped?.detail).toMatchObject({ from: chargesWhenPaused });
    const cycles = (await ledger(h, 'pause-1')).map((r) => r.cycle);
    expect(new Set(cycles).size).toBe(cycles.length);
    expect(cycles.at(-1)).toBeGreaterThan(chargesWhenPaused);
    expect(history.some((e) => e.to === 'active' && e.reason === 'BuyerIsBack')).toBe(true);
    await handle.terminate('test cleanup');
  });

  it('changePlan: the new amount applies from the next cycle; the state query reports it', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('plan-1', cp, { seconds: 4, firstInSeconds: 1, cycles: 4 }));
    const before = await eventually(
      () => handle.query(stateQuery),
      (s) => s.cycle === 1 && s.chargesMade === 1,
      { what: 'cycle 0 paid' },
    );
    expect(before.lastCharge).toMatchObject({ cycle: 0, attempt: 1, state: 'Captured' });

    // The first cycle not yet charged: cycle 1, or a later one if a billing timer fired meanwhile
    // (a loaded machine); whichever, every cycle before it is billed at the old amount, the rest at the new.
    const changed = await handle.executeUpdate(changePlanUpdate, { args: [{ amountMinor: '2500' }] });
    const from = changed.fromCycle;
    expect(changed).toEqual({ fromCycle: from, amountMinor: '2500', interval: { unit: 'second', count: 4 } });
    expect(from).toBeGreaterThanOrEqual(1);
    expect(from).toBeLessThan(4);
    const state = await handle.query(stateQuery);
    expect(state).toMatchObject({ subscriptionId: 'plan-1', chargePermissionId: cp, currency: 'USD', status: 'active' });
    // The query reports the amount of the cycle it stands at: the new one from the change on.
    expect(state.amountMinor).toBe(state.cycle >= from ? '2500' : '1400');

    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 4 });
    expect((await simulatorCharges(h, cp)).map((c) => c.amount)).toEqual([0, 1, 2, 3].map((cycle) => (cycle < from ? '14.00' : '25.00')));
    expect((await statusHistory(h, 'plan-1')).some((e) => e.reason === 'plan_changed' && e.cycle === from)).toBe(true);
    // The row shows the plan going forward, so list and export agree with the workflow.
    expect((await getSubscription(h.database.db, 'plan-1'))?.amountMinor).toBe(2500n);
  });

  it('the changePlan validator refuses a bad amount, an empty change, and a sandbox-only interval in live', async () => {
    const cp = await newPermission(h);
    const spec = {
      ...shortSpec('plan-live', cp),
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month' as const, count: 1 } },
      anchor: { localDateTime: '2099-01-31T09:00:00', zone: 'UTC' },
    };
    const { handle } = await launchSubscription({ ...h.launchContext, environment: 'live' }, spec);

    const refusal = async (request: object): Promise<string> => {
      const error = await handle.executeUpdate(changePlanUpdate, { args: [request] }).then(
        () => new Error('accepted'),
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      return (error.cause as Error | undefined)?.message ?? error.message;
    };
    expect(await refusal({ amountMinor: '-5' })).toMatch(/^amountMinor: must be a positive whole number of minor units/);
    expect(await refusal({ amountMinor: '12.50' })).toMatch(/amountMinor/);
    expect(await refusal({})).toBe('request: give amountMinor, interval or both');
    expect(await refusal({ interval: { unit: 'second', count: 5 } })).toMatch(/^interval\.unit: /);

    // Refused updates leave no trace: the plan and history are unchanged.
    expect(await handle.query(stateQuery)).toMatchObject({ amountMinor: '1400', interval: { unit: 'month', count: 1 } });
    const history = await statusHistory(h, 'plan-live');
    expect(history.some((e) => e.reason === 'plan_changed')).toBe(false);
    const monthly = await handle.executeUpdate(changePlanUpdate, { args: [{ interval: { unit: 'month', count: 3 } }] });
    expect(monthly).toMatchObject({ fromCycle: 0, interval: { unit: 'month', count: 3 } });
    await handle.terminate('test cleanup');
  });
});
