// Issue 13 §3 on the real stack: a plan change keeps the billing date (the workflow's own plan,
// read from the state query), and changePlan cannot interleave with a cycle that starts while
// it awaits; issue 13 §4: resuming after a long pause finds the next cycle at once.
import { defaultPayloadConverter } from '@temporalio/common';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingClient, type BillingClient } from '../../client/index.js';
import { subscriptionWorkflow } from '../../workflows/index.js';
import { changePlanUpdate, resumeSignal, stateQuery } from '../../workflows/messages.js';
import { initialState } from '../../workflows/subscription.js';
import type { CarriedState, SubscriptionWorkflowInput } from '../../workflows/types.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { cancelNow, ledger, newPermission, shortSpec, simulatorCharges, statusHistory, type SubscriptionHandle } from '../support/subscriptions.js';

const NY = 'America/New_York';
/** How long the rebase local activity takes here: past the workflow task's heartbeat (80 % of 10 s), so a timer can fire while it runs. */
const SLOW_REBASE_MS = 9_000;

const upcomingLocal = async (handle: SubscriptionHandle, count: number): Promise<string[]> => {
  const state = await eventually(
    () => handle.query(stateQuery),
    (s) => (s.upcoming?.length ?? 0) >= count,
    { what: 'planned billing dates' },
  );
  return (state.upcoming ?? []).slice(0, count).map((p) => DateTime.fromISO(p.dueAt, { zone: NY }).toFormat("yyyy-MM-dd'T'HH:mm"));
};

describe('plan changes and the schedule', () => {
  let h: BillingHarness;
  let billing: BillingClient;
  beforeAll(async () => {
    h = await startBillingHarness({
      wrapActivities: (activities) => ({
        ...activities,
        workflows: {
          ...activities.workflows,
          async rebaseSchedule(input) {
            await new Promise((resolve) => setTimeout(resolve, SLOW_REBASE_MS));
            return activities.workflows.rebaseSchedule(input);
          },
        },
      }),
    });
    billing = createBillingClient({
      db: h.database.db,
      temporal: async () => h.temporal.client,
      amazonPay: () => h.amazonPay,
      environment: 'sandbox',
      taskQueues: h.launchContext.taskQueues,
      policy: h.launchContext.policy,
      now: () => new Date(),
    });
  });
  afterAll(async () => h?.close());

  it('resuming a one-second plan paused for 12 days finds the next cycle by arithmetic and bills it', async () => {
    const cp = await newPermission(h);
    const twelveDaysAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 12 * 86_400_000);
    const spec = { ...shortSpec('long-pause', cp, { seconds: 1 }), anchor: { localDateTime: twelveDaysAgo.toISOString().slice(0, 19), zone: 'UTC' } };
    // A run paused since just before its anchor (as one carried on by continue-as-new or a
    // repair would be): every cycle since came due inside the pause. A pause that begins after
    // cycles came due would bill those (a cycle due before a pause is still billed).
    await h.stopWorkers();
    const launched = await h.launch(spec);
    const started = (await launched.handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = defaultPayloadConverter.fromPayload<SubscriptionWorkflowInput>(started!);
    await launched.handle.terminate('restarted paused since before its anchor');
    const state: CarriedState = {
      ...initialState(input),
      paused: true,
      pausedSince: new Date(twelveDaysAgo.getTime() - 1000).toISOString(),
      pauseReason: 'long break',
    };
    const handle = await h.temporal.client.workflow.start(subscriptionWorkflow, {
      workflowId: launched.handle.workflowId,
      taskQueue: h.taskQueues.workflows,
      args: [{ ...input, state }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
    await h.startWorkers();
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'paused',
      { what: 'paused' },
    );
    expect(await simulatorCharges(h, cp)).toHaveLength(0);

    const resumedAt = Date.now();
    await handle.signal(resumeSignal, { reason: 'back' });
    const [first] = await eventually(
      () => simulatorCharges(h, cp),
      (c) => c.length >= 1,
      { what: 'a charge after resume', timeoutMs: 30_000 },
    );
    const rows = await ledger(h, 'long-pause');
    const expected = Math.floor((resumedAt - twelveDaysAgo.getTime()) / 1000);
    expect(rows[0]!.cycle).toBeGreaterThanOrEqual(expected);
    expect(rows[0]!.cycle).toBeLessThan(expected + 60);
    expect(Date.parse(first!.createdAt)).toBeGreaterThanOrEqual(resumedAt);
    const skipped = (await statusHistory(h, 'long-pause')).find((e) => e.reason === 'cycles_skipped_while_paused');
    expect(skipped?.detail).toMatchObject({ from: 0, to: rows[0]!.cycle - 1 });
    await cancelNow(h, handle, 'test done');
  }, 90_000);

  it('monthly from Jan 31, change-plan at the pending Feb 28 cycle to month/20.00: Feb 28, Mar 31, Apr 30, May 31', async () => {
    // Cycle 0 was captured at checkout, so cycle 1 (Feb 28, clamped) is the pending one.
    const { chargePermission, firstChargeId } = await h.control.createChargePermission({
      type: 'Recurring',
      currency: 'USD',
      firstCharge: { amountMinor: '1400' },
    });
    const cp = chargePermission.chargePermissionId;
    const { handle } = await h.launch({
      id: 'month-end-change',
      chargePermissionId: cp,
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } },
      anchor: { localDateTime: '2031-01-31T09:00', zone: NY },
      firstChargeId: firstChargeId!,
    });
    expect(await upcomingLocal(handle, 4)).toEqual(['2031-02-28T09:00', '2031-03-31T09:00', '2031-04-30T09:00', '2031-05-31T09:00']);

    const result = await billing.changePlan('month-end-change', { interval: { unit: 'month', count: 1 }, amountMinor: '2000' });
    expect(result).toEqual({ fromCycle: 1, amountMinor: '2000', interval: { unit: 'month', count: 1 } });
    expect(await upcomingLocal(handle, 4)).toEqual(['2031-02-28T09:00', '2031-03-31T09:00', '2031-04-30T09:00', '2031-05-31T09:00']);

    // Every two months from the clamped Feb 28: the 31st stays the intent.
    await billing.changePlan('month-end-change', { interval: { unit: 'month', count: 2 } });
    expect(await upcomingLocal(handle, 4)).toEqual(['2031-02-28T09:00', '2031-04-30T09:00', '2031-06-30T09:00', '2031-08-31T09:00']);
    await cancelNow(h, handle, 'test done');
  }, 90_000);

  it('daily 02:30 New York changed at the cycle the spring gap moved to 03:30 bills at 02:30 afterwards', async () => {
    const cp = await newPermission(h);
    // A 7-day trial makes the gap day (Sunday 9 March 2031) cycle 0, the pending one.
    const { handle } = await h.launch({
      id: 'gap-change',
      chargePermissionId: cp,
      plan: { amountMinor: '500', currency: 'USD', interval: { unit: 'day', count: 1 } },
      anchor: { localDateTime: '2031-03-02T02:30', zone: NY },
      trial: { unit: 'day', count: 7 },
    });
    expect(await upcomingLocal(handle, 3)).toEqual(['2031-03-09T03:30', '2031-03-10T02:30', '2031-03-11T02:30']);
    await billing.changePlan('gap-change', { interval: { unit: 'day', count: 1 }, amountMinor: '600' });
    expect(await upcomingLocal(handle, 3)).toEqual(['2031-03-09T03:30', '2031-03-10T02:30', '2031-03-11T02:30']);
    await billing.changePlan('gap-change', { interval: { unit: 'day', count: 2 } });
    expect(await upcomingLocal(handle, 3)).toEqual(['2031-03-09T03:30', '2031-03-11T02:30', '2031-03-13T02:30']);
    await cancelNow(h, handle, 'test done');
  }, 90_000);

  it('a cycle that comes due while changePlan awaits its rebase is charged at the amount the change records for it', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('plan-race', cp, { seconds: 20, firstInSeconds: 3, amountMinor: '1400' }));
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.nextBillingAt !== null,
      { what: 'waiting for cycle 0' },
    );
    // The rebase takes 9 s; cycle 0 comes due about 3 s after launch, in the middle of it.
    const result = await handle.executeUpdate(changePlanUpdate, { args: [{ interval: { unit: 'second', count: 30 }, amountMinor: '2100' }] });
    const [charge] = await eventually(
      () => ledger(h, 'plan-race'),
      (rows) => rows.length >= 1,
      { what: 'cycle 0 charged' },
    );
    const amountFor = (cycle: number) => (cycle >= result.fromCycle ? '2100' : '1400');
    expect(charge!.amountMinor.toString()).toBe(amountFor(charge!.cycle));
    const [simulated] = await simulatorCharges(h, cp);
    expect(simulated?.amountMinor).toBe(amountFor(charge!.cycle));
    const changed = (await statusHistory(h, 'plan-race')).find((e) => e.reason === 'plan_changed');
    expect(changed?.cycle).toBe(result.fromCycle);
    await cancelNow(h, handle, 'test done');
  }, 90_000);
});
