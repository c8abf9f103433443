// An operator's pause holds every wait of a cycle, not only dunning's (issue 13 §4, found by a
// fresh review): the payment-method grace period (its clock stops, so no final action fires
// while paused and the buyer keeps the time left), the monthly-cap wait, a cycle waiting in
// needs_attention, and a failed activity call waiting for its retry. Each shows `paused` in
// PostgreSQL and the state query while the pause holds; resume continues where it stood, and a
// resume that lifts a pause retries a failed call at once (workflows/guarded-calls.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { pauseSignal, resumeSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import {
  launchCappedBeforeMonthEnd,
  ledger,
  newPermission,
  shortSpec,
  simulatorCharges,
  statusHistory,
  type SubscriptionHandle,
} from '../support/subscriptions.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("an operator's pause holds every wait", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => h?.close());

  /** Pauses and checks that the pause shows at once, in the query and in PostgreSQL. */
  async function pauseShows(handle: SubscriptionHandle, id: string): Promise<void> {
    await handle.signal(pauseSignal, { reason: 'operator hold' });
    // Well within any of the waits below: the status must not wait for the wait to end.
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'paused',
      { what: 'paused in the query', timeoutMs: 4_000 },
    );
    await eventually(
      () => getSubscription(h.database.db, id),
      (r) => r?.status === 'paused',
      { what: 'paused in PostgreSQL', timeoutMs: 4_000 },
    );
  }

  it('the payment-method grace period stops while paused: no final action during the pause, the time left runs after resume', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { mode: 'HardDeclined' });
    const graceMs = 8_000;
    const { handle } = await h.launch(shortSpec('pause-grace', cp, { cycles: 1 }), {
      paymentMethodGraceMs: graceMs,
      paymentMethodCheckIntervalMs: 60_000,
      finalAction: 'cancel',
    });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'payment_method_required',
      { what: 'payment_method_required' },
    );
    const declinedAt = (await ledger(h, 'pause-grace'))[0]!.completedAt!.getTime();
    await pauseShows(handle, 'pause-grace');
    const pausedAt = Date.now();

    // Past the whole grace period: still running, still paused, the subscription not cancelled.
    await sleep(graceMs + 2_000);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect((await handle.query(stateQuery)).status).toBe('paused');
    expect((await getSubscription(h.database.db, 'pause-grace'))?.status).toBe('paused');

    const resumedAt = Date.now();
    await handle.signal(resumeSignal, { reason: 'go on' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'payment_method_required',
      { what: 'payment_method_required again' },
    );
    expect(await handle.result()).toMatchObject({ status: 'canceled', reason: 'PaymentMethodGraceExpired:HardDeclined' });
    const events = await statusHistory(h, 'pause-grace');
    const canceledAt = events.at(-1)!.at.getTime();
    // The grace left at the pause runs after the resume: the decline-to-cancel time is the grace plus the pause.
    const left = graceMs - (pausedAt - declinedAt);
    expect(canceledAt - resumedAt).toBeGreaterThanOrEqual(left - 1_500);
    expect(canceledAt - declinedAt).toBeGreaterThanOrEqual(graceMs + (resumedAt - pausedAt) - 1_500);
    expect(events.map((e) => `${e.to}:${e.reason}`)).toEqual([
      'active:Created',
      'payment_method_required:HardDeclined',
      'paused:operator hold',
      'payment_method_required:HardDeclined',
      'canceled:PaymentMethodGraceExpired:HardDeclined',
    ]);
    expect(await ledger(h, 'pause-grace')).toHaveLength(1);
  }, 60_000);

  it('the monthly-cap wait shows paused and charges nothing until resume, then at once when the cap has reset', async () => {
    // 20 s before 1 March 2030 00:00 UTC, the second 600.00 cycle passes the 1,000.00 USD cap.
    const boundary = Date.UTC(2030, 2, 1);
    try {
      const { handle, offset } = await launchCappedBeforeMonthEnd(h, 'pause-cap', boundary, 20);
      await pauseShows(handle, 'pause-cap');
      // Past the reset (and its margin): the cycle stays uncharged while paused.
      await sleep(boundary + 2_000 - (Date.now() + offset));
      expect(await ledger(h, 'pause-cap')).toHaveLength(2);
      expect((await handle.query(stateQuery)).status).toBe('paused');

      await handle.signal(resumeSignal, { reason: 'go on' });
      expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 2 });
      expect((await ledger(h, 'pause-cap')).map((r) => [r.cycle, r.attempt, r.state, r.reasonCode])).toEqual([
        [0, 1, 'Captured', null],
        [1, 1, 'Refused', 'PeriodicAmountExceeded'],
        [1, 2, 'Captured', null],
      ]);
      const events = (await statusHistory(h, 'pause-cap')).map((e) => `${e.to}:${e.reason}`);
      expect(events.slice(events.indexOf('past_due:PeriodicAmountExceeded'))).toEqual([
        'past_due:PeriodicAmountExceeded',
        'paused:operator hold',
        'past_due:PeriodicAmountExceeded',
        'active:null',
        'ended:TermCompleted',
      ]);
    } finally {
      h.setClockOffsetMs(0);
    }
  }, 60_000);

  it('a cycle waiting in needs_attention shows paused; the resume that lifts the pause only lifts it, the next one retries', async () => {
    const cp = await newPermission(h);
    // A refusal no retry fixes, for the next Create Charge only.
    await h.control.setInjectedErrors([{ operation: 'createCharge', id: cp, status: 400, reasonCode: 'TransactionAmountExceeded', times: 1 }]);
    const { handle } = await h.launch(shortSpec('pause-attention', cp, { cycles: 1 }));
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'needs_attention',
      { what: 'needs_attention' },
    );
    await pauseShows(handle, 'pause-attention');
    await handle.signal(resumeSignal, { reason: 'lift the pause' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'needs_attention' && !s.paused,
      { what: 'needs_attention again' },
    );
    await sleep(1_500);
    expect(await ledger(h, 'pause-attention')).toHaveLength(1);
    await handle.signal(resumeSignal, { reason: 'retry it' });
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    expect((await ledger(h, 'pause-attention')).map((r) => [r.attempt, r.state])).toEqual([
      [1, 'Refused'],
      [2, 'Captured'],
    ]);
    expect(await simulatorCharges(h, cp)).toHaveLength(1);
  }, 60_000);

  it('a failed call waiting for its retry shows paused, is not retried while paused, and is retried at once by the resume that lifts the pause', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['SoftDeclined'] });
    await h.control.setInjectedErrors([
      { operation: 'getChargePermission', id: cp, status: 400, reasonCode: 'InvalidParameterValue', message: 'injected refusal of this request' },
    ]);
    try {
      // The automatic retry is 10 minutes away: only the resume can bring it back within the test.
      const { handle } = await h.launch(shortSpec('pause-failed-call', cp, { cycles: 1 }), {
        activityRetryWindowMs: 3_000,
        failedCallRetryDelaysMs: [10 * 60_000],
      });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.statusReason === 'CallFailed:getPermissionStatus',
        { what: 'needs_attention', timeoutMs: 30_000 },
      );
      await pauseShows(handle, 'pause-failed-call');
      expect((await handle.query(stateQuery)).failedCall).toMatchObject({ activity: 'getPermissionStatus', failures: 1 });
      await h.control.setInjectedErrors([]);

      await handle.signal(resumeSignal, { reason: 'go on' });
      const state = await eventually(
        () => handle.query(stateQuery),
        (s) => s.failedCall === null,
        { what: 'the call retried at once', timeoutMs: 15_000 },
      );
      expect(state.paused).toBe(false);
      expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
      expect((await ledger(h, 'pause-failed-call')).map((r) => [r.attempt, r.state])).toEqual([
        [1, 'Refused'],
        [2, 'Captured'],
      ]);
    } finally {
      await h.control.setInjectedErrors([]);
    }
  }, 90_000);
});
