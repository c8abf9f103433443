// The ends of waits no test reached before (found by a fresh review of issue 13): a monthly-cap
// wait refused again after the cap reset (MonthlyCapStillExceeded), a stop while a failed call
// waits for its retry (StoppedWhileCallFailed: the workflow completes as canceled, it does not
// fail), and plans whose cycles in one calendar month add up past the permission's monthly cap:
// refused at start and change-plan, and sent to needs_attention at the first refusal when such a
// plan runs anyway (started before the check, or launched without it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingClient, type BillingClient } from '../../client/index.js';
import { InvalidInputError } from '../../client/errors.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { cancelSignal, resumeSignal, stateQuery } from '../../workflows/messages.js';
import { anchorSecondsFromNow, eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { cancelNow, launchCappedBeforeMonthEnd, ledger, newPermission, shortSpec, simulatorCharges, statusHistory } from '../support/subscriptions.js';

describe('waits that end', () => {
  let h: BillingHarness;
  let billing: BillingClient;
  beforeAll(async () => {
    h = await startBillingHarness();
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

  it('a cycle refused again after the monthly cap reset goes to needs_attention (MonthlyCapStillExceeded) naming the limit; resume retries it', async () => {
    // 10 s before 1 April 2030 00:00 UTC, the second 600.00 cycle passes the 1,000.00 USD cap.
    const boundary = Date.UTC(2030, 3, 1);
    try {
      const { handle, offset } = await launchCappedBeforeMonthEnd(h, 'cap-still', boundary, 10);
      // What another charge on the same permission in the new month would do: refused again after the reset.
      await h.control.setInjectedErrors([
        { operation: 'createCharge', id: (await handle.query(stateQuery)).chargePermissionId, status: 400, reasonCode: 'PeriodicAmountExceeded', times: 1 },
      ]);
      const state = await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'needs_attention',
        { what: 'needs_attention', timeoutMs: 30_000 },
      );
      expect(state.statusReason).toBe('MonthlyCapStillExceeded');
      const rows = await ledger(h, 'cap-still');
      expect(rows.map((r) => [r.cycle, r.attempt, r.state, r.reasonCode])).toEqual([
        [0, 1, 'Captured', null],
        [1, 1, 'Refused', 'PeriodicAmountExceeded'],
        [1, 2, 'Refused', 'PeriodicAmountExceeded'],
      ]);
      // One wait, until the reset: the second try came in the new month (on the shifted clock; the ledger keeps real time).
      expect(rows[2]!.requestedAt.getTime() + offset).toBeGreaterThanOrEqual(boundary);
      const event = (await statusHistory(h, 'cap-still')).at(-1);
      expect(event).toMatchObject({ to: 'needs_attention', reason: 'MonthlyCapStillExceeded' });
      expect(JSON.stringify(event?.detail)).toMatch(/refused again after the monthly cap reset; monthly limit 100000 USD/);

      await handle.signal(resumeSignal, { reason: 'the other charge was refunded' });
      expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 2 });
      expect((await ledger(h, 'cap-still')).map((r) => [r.cycle, r.attempt, r.state])).toEqual([
        [0, 1, 'Captured'],
        [1, 1, 'Refused'],
        [1, 2, 'Refused'],
        [1, 3, 'Captured'],
      ]);
    } finally {
      h.setClockOffsetMs(0);
    }
  }, 60_000);

  it('a stop while a failed call waits for its retry ends the subscription canceled (StoppedWhileCallFailed); the workflow completes, it does not fail', async () => {
    const cp = await newPermission(h);
    const workflowId = 'subscription-stop-failed-call';
    h.activityFaults.set(workflowId, 'planCycle', 'non_retryable');
    try {
      const { handle } = await h.launch(shortSpec('stop-failed-call', cp, { cycles: 3 }), {
        activityRetryWindowMs: 3_000,
        failedCallRetryDelaysMs: [10 * 60_000],
      });
      await eventually(
        () => handle.query(stateQuery).catch(() => null),
        (s) => s?.statusReason === 'CallFailed:planCycle',
        { what: 'needs_attention', timeoutMs: 30_000 },
      );

      // The buyer closed the permission: what the IPN reaction (and `billing stop`) signals before it
      // also cancels the workflow. The signal alone must end the wait, so the run completes.
      await h.control.closeChargePermission(cp, 'buyer');
      await handle.signal(cancelSignal, { mode: 'now', reason: 'BuyerClosed' });
      // Long before the 10-minute retry: the stop ends the wait.
      const result = await Promise.race([handle.result(), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 45_000))]);
      expect(result).toMatchObject({ status: 'canceled', reason: 'BuyerClosed' });
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      expect((await getSubscription(h.database.db, 'stop-failed-call'))?.status).toBe('canceled');
      expect(await simulatorCharges(h, cp)).toHaveLength(0);
    } finally {
      h.activityFaults.clear(workflowId);
    }
  }, 60_000);

  it('start and change-plan refuse a weekly plan whose five cycles in a month pass the cap, naming the limit and the count', async () => {
    const cp = await newPermission(h); // Recurring USD: 1,000.00 a month
    const base = { chargePermissionId: cp, anchor: { localDateTime: '2031-01-15T09:00', zone: 'America/New_York' } };
    const weekly = { amountMinor: '25000', currency: 'USD', interval: { unit: 'week' as const, count: 1 } };
    const refusal = await billing.startSubscription({ ...base, id: 'cap-weekly', plan: weekly }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(InvalidInputError);
    expect(String((refusal as Error).message)).toMatch(
      /250\.00 USD every week is up to 5 cycles in one calendar month, 1250\.00 USD, above the monthly limit .*1000\.00 USD per calendar month/,
    );
    expect(await getSubscription(h.database.db, 'cap-weekly')).toBeUndefined();

    // A monthly 250.00 plan is fine; changing only its interval to weekly is not.
    await billing.startSubscription({ ...base, id: 'cap-monthly', plan: { ...weekly, interval: { unit: 'month', count: 1 } } });
    const change = await billing.changePlan('cap-monthly', { interval: { unit: 'week', count: 1 } }).catch((e: unknown) => e);
    expect(change).toBeInstanceOf(InvalidInputError);
    expect(String((change as Error).message)).toMatch(/^interval 250\.00 USD every week is up to 5 cycles/);
    expect((await billing.changePlan('cap-monthly', { interval: { unit: 'week', count: 1 }, amountMinor: '20000' })).interval).toEqual({
      unit: 'week',
      count: 1,
    });
    await billing.stopSubscription('cap-monthly');
  }, 60_000);

  it("start and change-plan count every live subscription on the Charge Permission against its cap (Amazon's cap is per permission)", async () => {
    const cp = await newPermission(h); // Recurring USD: 1,000.00 a month
    const base = { chargePermissionId: cp, anchor: { localDateTime: '2031-01-15T09:00', zone: 'America/New_York' } };
    const monthly = (amountMinor: string) => ({ amountMinor, currency: 'USD', interval: { unit: 'month' as const, count: 1 } });
    await billing.startSubscription({ ...base, id: 'cap-shared-a', plan: monthly('60000') });
    const refusal = await billing.startSubscription({ ...base, id: 'cap-shared-b', plan: monthly('60000') }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(InvalidInputError);
    expect(String((refusal as Error).message)).toMatch(
      /^plan\.amountMinor up to 600\.00 USD in one calendar month for this plan plus 600\.00 USD for the other subscriptions on the permission \(cap-shared-a 600\.00 USD every month\) is 1200\.00 USD, above the monthly limit .*1000\.00 USD per calendar month.*at most 400\.00 USD per cycle$/,
    );
    expect(await getSubscription(h.database.db, 'cap-shared-b')).toBeUndefined();

    // What fits starts; a change that would pass the cap together is refused, one that fits is taken.
    await billing.startSubscription({ ...base, id: 'cap-shared-b', plan: monthly('40000') });
    const change = await billing.changePlan('cap-shared-b', { amountMinor: '40001' }).catch((e: unknown) => e);
    expect(change).toBeInstanceOf(InvalidInputError);
    expect(String((change as Error).message)).toMatch(/\(cap-shared-a 600\.00 USD every month\) is 1000\.01 USD/);
    expect((await billing.changePlan('cap-shared-a', { amountMinor: '50000' })).amountMinor).toBe('50000');
    // An ended subscription no longer counts.
    await billing.stopSubscription('cap-shared-a');
    expect((await billing.changePlan('cap-shared-b', { amountMinor: '100000' })).amountMinor).toBe('100000');
    await billing.stopSubscription('cap-shared-b');
  }, 60_000);

  it('a running weekly plan past the cap goes to needs_attention at its first refusal, naming the count, instead of waiting month after month', async () => {
    const cp = await newPermission(h);
    // Amazon refuses its first charge for the cap (other charges on the permission this month).
    await h.control.setInjectedErrors([{ operation: 'createCharge', id: cp, status: 400, reasonCode: 'PeriodicAmountExceeded', times: 1 }]);
    // Launched without the client's check, as a subscription started before it would run.
    const { handle } = await h.launch({
      id: 'cap-weekly-running',
      chargePermissionId: cp,
      plan: { amountMinor: '30000', currency: 'USD', interval: { unit: 'week', count: 1 } },
      anchor: anchorSecondsFromNow(1),
    });
    const state = await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'needs_attention',
      { what: 'needs_attention', timeoutMs: 20_000 },
    );
    expect(state.statusReason).toBe('PlanExceedsMonthlyCap');
    const event = (await statusHistory(h, 'cap-weekly-running')).at(-1);
    expect(JSON.stringify(event?.detail)).toMatch(
      /up to 5 cycles of 30000 USD \(minor units\) fall in one calendar month: 150000, above the Charge Permission's monthly limit 100000 USD/,
    );
    await cancelNow(h, handle, 'test done');
  }, 60_000);
});
