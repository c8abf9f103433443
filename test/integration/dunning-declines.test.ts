// Dunning (issue 5): soft declines retried on the dunning schedule with a new key per attempt;
// hard declines wait for the buyer to fix the payment method (IPN signal or periodic check);
// the grace period running out ends in the configured final action.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingClient } from '../../client/index.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { permissionStatusSignal, resumeSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import {
  chargesScheduled,
  expectEachCycleChargedOnce,
  ledger,
  newPermission,
  shortSpec,
  simulatorCharges,
  statusHistory,
  type SubscriptionHandle,
} from '../support/subscriptions.js';
import type { SubscriptionState } from '../../workflows/types.js';
import { checkedEvents, eventTypes, LIFE_FIRST_EVENT_TYPES } from '../support/events.js';

const statusOf = async (h: BillingHarness, id: string) => (await getSubscription(h.database.db, id))?.status;

/**
 * Holds the answer of one Get Charge Permission check of `chargePermissionId` after Amazon gave it,
 * until released: the answer reaches the workflow later than what happened at Amazon meanwhile.
 */
class CheckAnswerGate {
  /** Whose next answer to hold; cleared once one is held. */
  chargePermissionId: string | null = null;
  private held: (() => void) | null = null;
  private heldNow: (() => void) | null = null;
  private holdingNow = new Promise<void>((resolve) => (this.heldNow = resolve));
  async pass(chargePermissionId: string): Promise<void> {
    if (chargePermissionId !== this.chargePermissionId) return;
    this.chargePermissionId = null;
    await new Promise<void>((resolve) => {
      this.held = resolve;
      this.heldNow?.();
    });
  }
  /** Resolves once an answer is held. */
  holding(): Promise<void> {
    return this.holdingNow;
  }
  release(): void {
    this.held?.();
    this.held = null;
    this.holdingNow = new Promise<void>((resolve) => (this.heldNow = resolve));
  }
}

// Each case has its own subscription and Charge Permission and waits on short intervals: they run
// side by side, but for the sequential ones at the end.
describe.concurrent('dunning', () => {
  let h: BillingHarness;
  const checkGate = new CheckAnswerGate();
  /** Runs before the daemon's next Get Charge Permission for a permission (what the buyer does just then). */
  const beforeRead = new Map<string, () => Promise<void>>();
  beforeAll(async () => {
    h = await startBillingHarness({
      wrapActivities: (activities) => ({
        ...activities,
        amazonReads: {
          ...activities.amazonReads,
          async getPermissionStatus(input) {
            await beforeRead.get(input.chargePermissionId)?.();
            const answer = await activities.amazonReads.getPermissionStatus(input);
            await checkGate.pass(input.chargePermissionId);
            return answer;
          },
        },
      }),
    });
  });
  afterAll(async () => h?.close());

  it('recovers after two soft declines: attempts 1, 2, 3 with distinct keys, one capture', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['SoftDeclined', 'SoftDeclined'] });
    const { handle } = await h.launch(shortSpec('dunning-soft', cp, { cycles: 1 }), { dunningRetryDelaysMs: [1_000, 1_000, 1_000] });
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });

    const rows = await ledger(h, 'dunning-soft');
    expect(rows.map((r) => [r.cycle, r.attempt, r.state, r.reasonCode])).toEqual([
      [0, 1, 'Refused', 'SoftDeclined'],
      [0, 2, 'Refused', 'SoftDeclined'],
      [0, 3, 'Captured', null],
    ]);
    expect(new Set(rows.map((r) => r.idempotencyKey)).size).toBe(3);
    // Each retry waited its dunning delay after the decline before it.
    for (const i of [1, 2]) expect(rows[i]!.requestedAt.getTime() - rows[i - 1]!.completedAt!.getTime()).toBeGreaterThanOrEqual(1_000);
    await expectEachCycleChargedOnce(h, 'dunning-soft', cp, 1);

    const history = await statusHistory(h, 'dunning-soft');
    expect(history.map((e) => `${e.to}:${e.reason}`)).toEqual(['active:Created', 'past_due:SoftDeclined', 'active:null', 'ended:TermCompleted']);
    expect(history[1]!.detail).toMatchObject({ dunningStep: 1, of: 3, cycle: 0 });
    // A second decline with the same reason is another charge.failed, not another past_due.
    expect(await eventTypes(h.database.db, 'dunning-soft')).toEqual([
      'subscription.started',
      'charge.failed',
      'subscription.past_due',
      'charge.failed',
      'charge.succeeded',
      'subscription.activated',
      'subscription.ended',
    ]);
  });

  it("a subscription's life writes exactly its events: paid cycles, a soft decline and recovery, a hard decline and fix, the buyer closing", async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['Success', 'SoftDeclined', 'Success', 'HardDeclined'] });
    const { handle } = await h.launch(shortSpec('events-life', cp, { seconds: 2 }), { dunningRetryDelaysMs: [500], paymentMethodCheckIntervalMs: 10 * 60_000 });
    await eventually(
      () => statusOf(h, 'events-life'),
      (s) => s === 'payment_method_required',
      { what: 'payment_method_required after the hard decline' },
    );
    await h.control.makeNonChargeable(cp, 'PaymentMethodExpired');
    await handle.signal(permissionStatusSignal, { state: 'NonChargeable', reasons: ['PaymentMethodExpired'] });
    await eventually(
      () => handle.query(stateQuery),
      (st) => st.permission?.state === 'NonChargeable',
      { what: 'the NonChargeable signal handled' },
    );
    await h.control.makeChargeable(cp);
    await handle.signal(permissionStatusSignal, { state: 'Chargeable', reasons: [] });
    await eventually(
      () => eventTypes(h.database.db, 'events-life'),
      (types) => types.filter((t) => t === 'charge.succeeded').length >= 3,
      { what: 'the cycle after the fix paid' },
    );
    // The workflow hears of the close before Amazon refuses a charge for it: no charge.failed in between.
    await handle.signal(permissionStatusSignal, { state: 'Closed', reasons: ['BuyerCanceled'] });
    expect(await handle.result()).toMatchObject({ status: 'canceled', reason: 'BuyerCanceled' });
    await h.control.closeChargePermission(cp, 'buyer');

    const events = await checkedEvents(h.database.db, 'events-life');
    const types = events.map((e) => e.type);
    expect(types.slice(0, 10)).toEqual(LIFE_FIRST_EVENT_TYPES);
    // Cycles due before the close was seen are paid; then the end.
    expect(types.slice(10, -1).filter((t) => t !== 'charge.succeeded')).toEqual([]);
    expect(types.at(-1)).toBe('subscription.canceled');
    expect(events.at(-1)!.data).toMatchObject({ reason: 'BuyerCanceled', previous_status: 'active' });
    expect(events[1]!.data).toMatchObject({ cycle: 0, attempt: 1, amount: '14.00', currency: 'USD', state: 'Captured' });
    expect(events[2]!.data).toMatchObject({ cycle: 1, attempt: 1, decline: 'soft', reason_code: 'SoftDeclined', charge_id: null });
    expect(events[3]!.data).toMatchObject({ reason: 'SoftDeclined', dunning_step: 1, dunning_steps: 1, next_retry_at: expect.any(String) });
    expect(events[6]!.data).toMatchObject({ cycle: 2, decline: 'hard', reason_code: 'HardDeclined' });
    expect(events[7]!.data).toMatchObject({
      payment_method_update_url: `https://payments.amazon.com/jr/your-account/ba/${cp}`,
      grace_ends_at: expect.any(String),
    });
    // Every paid cycle of the ledger has exactly one charge.succeeded, naming its Charge.
    const paid = (await ledger(h, 'events-life')).filter((r) => r.state === 'Captured');
    expect(events.filter((e) => e.type === 'charge.succeeded').map((e) => e.data.charge_id)).toEqual(paid.map((r) => r.chargeId));
    // A cycle paid on the plain path knows the period it pays for.
    expect(events[1]!.data.period).toEqual({ start: expect.any(String), end: expect.any(String) });
  });

  it('soft declines past the last dunning step end in the final action cancel_and_close_permission: canceled, the permission closed', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { mode: 'SoftDeclined' });
    const { handle } = await h.launch(shortSpec('dunning-exhausted', cp, { cycles: 1 }), {
      dunningRetryDelaysMs: [300, 300],
      finalAction: 'cancel_and_close_permission',
    });
    expect(await handle.result()).toMatchObject({ status: 'canceled', reason: 'DunningExhausted:SoftDeclined', cycle: 0 });

    // The first attempt and one per dunning step, each with its own key; none after the last step.
    const rows = await ledger(h, 'dunning-exhausted');
    expect(rows.map((r) => [r.attempt, r.state, r.reasonCode])).toEqual([
      [1, 'Refused', 'SoftDeclined'],
      [2, 'Refused', 'SoftDeclined'],
      [3, 'Refused', 'SoftDeclined'],
    ]);
    expect(new Set(rows.map((r) => r.idempotencyKey)).size).toBe(3);
    expect((await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp)).toHaveLength(3);
    expect((await h.control.getChargePermission(cp)).chargePermission.statusDetails.state).toBe('Closed');
    const history = await statusHistory(h, 'dunning-exhausted');
    expect(history.map((e) => `${e.to}:${e.reason}`)).toEqual(['active:Created', 'past_due:SoftDeclined', 'canceled:DunningExhausted:SoftDeclined']);
    const events = await checkedEvents(h.database.db, 'dunning-exhausted');
    expect(events.map((e) => e.type)).toEqual([
      'subscription.started',
      'charge.failed',
      'subscription.past_due',
      'charge.failed',
      'charge.failed',
      'subscription.canceled',
    ]);
    expect(events.at(-1)!.data).toMatchObject({ reason: 'DunningExhausted:SoftDeclined', previous_status: 'past_due' });
  });

  it('hard decline: waits for the buyer, resumes on the permission signal the IPN pipeline sends', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['HardDeclined'] });
    // No periodic check in this test's time frame: only the signal can wake it.
    const { handle } = await h.launch(shortSpec('dunning-hard-signal', cp, { cycles: 1 }), { paymentMethodCheckIntervalMs: 10 * 60_000 });
    await eventually(
      () => statusOf(h, 'dunning-hard-signal'),
      (s) => s === 'payment_method_required',
      { what: 'payment_method_required' },
    );
    // The merchant can fetch the page where the buyer fixes the payment method.
    const billing = createBillingClient({
      db: h.database.db,
      temporal: async () => h.temporal.client,
      amazonPay: () => h.amazonPay,
      environment: 'sandbox',
      taskQueues: h.launchContext.taskQueues,
      policy: h.launchContext.policy,
      now: () => new Date(),
    });
    expect((await billing.getSubscription('dunning-hard-signal')).paymentMethodUpdateUrl).toBe(`https://payments.amazon.com/jr/your-account/ba/${cp}`);

    await h.control.makeNonChargeable(cp, 'PaymentMethodExpired');
    await handle.signal(permissionStatusSignal, { state: 'NonChargeable', reasons: ['PaymentMethodExpired'] });
    // Handled (the workflow holds what the signal said), and still waiting: no new attempt for a NonChargeable permission.
    const handled = await eventually(
      () => handle.query(stateQuery),
      (st) => st.permission?.state === 'NonChargeable',
      { what: 'query: the NonChargeable signal handled' },
    );
    expect(handled.status).toBe('payment_method_required');
    expect(await chargesScheduled(handle)).toBe(1);
    await h.control.makeChargeable(cp);
    await handle.signal(permissionStatusSignal, { state: 'Chargeable', reasons: [] });

    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    const rows = await ledger(h, 'dunning-hard-signal');
    expect(rows.map((r) => [r.attempt, r.state, r.reasonCode])).toEqual([
      [1, 'Refused', 'HardDeclined'],
      [2, 'Captured', null],
    ]);
    await expectEachCycleChargedOnce(h, 'dunning-hard-signal', cp, 1);
    const history = await statusHistory(h, 'dunning-hard-signal');
    expect(history.map((e) => `${e.to}:${e.reason}`)).toEqual(['active:Created', 'payment_method_required:HardDeclined', 'active:null', 'ended:TermCompleted']);
  });

  it('hard decline without any signal: a check that sees the permission go NonChargeable → Chargeable retries once', async () => {
    const cp = await newPermission(h);
    // Every attempt hard-declines until the buyer "fixes" the method below.
    await h.control.setScript(cp, { mode: 'HardDeclined' });
    const { handle } = await h.launch(shortSpec('dunning-hard-poll', cp, { cycles: 1 }), { paymentMethodCheckIntervalMs: 500 });
    await eventually(
      () => statusOf(h, 'dunning-hard-poll'),
      (s) => s === 'payment_method_required',
      { what: 'payment_method_required' },
    );
    await h.control.makeNonChargeable(cp, 'PaymentMethodInvalid');
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.permission?.state === 'NonChargeable',
      { what: 'a check seeing NonChargeable' },
    );
    await h.control.setScript(cp, { next: [], mode: null });
    await h.control.makeChargeable(cp);
    const fixedAt = Date.now();

    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    const rows = await ledger(h, 'dunning-hard-poll');
    expect(rows.map((r) => [r.attempt, r.state, r.reasonCode])).toEqual([
      [1, 'Refused', 'HardDeclined'],
      [2, 'Captured', null],
    ]);
    // Found by a check at most one check interval (plus scheduling slack) after the fix.
    expect(rows[1]!.requestedAt.getTime() - fixedAt).toBeLessThan(10_000);
    await expectEachCycleChargedOnce(h, 'dunning-hard-poll', cp, 1);
  });

  it('a permission that stays Chargeable after a hard decline is not retried on every check, only when Amazon shows a new payment method', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { mode: 'HardDeclined' });
    const { handle } = await h.launch(shortSpec('dunning-hard-no-evidence', cp, { cycles: 1 }), {
      paymentMethodCheckIntervalMs: 300,
      paymentMethodGraceMs: 10 * 60_000,
    });
    await eventually(
      () => statusOf(h, 'dunning-hard-no-evidence'),
      (s) => s === 'payment_method_required',
      { what: 'payment_method_required' },
    );
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.permission?.evidenceOfChange === false && s.permission.state === 'Chargeable',
      { what: 'a check seeing Chargeable' },
    );
    // Asserting an absence needs time to pass: ten check intervals find it Chargeable and charge nothing.
    const since = Date.now();
    await eventually(
      async () => Date.now(),
      (now) => now > since + 3_000,
      { what: 'ten check intervals' },
    );
    const attempts = (await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp);
    expect(attempts).toHaveLength(1);
    expect(
      (
        await eventually(
          () => handle.query(stateQuery),
          (st) => st.status === 'payment_method_required',
          { what: 'query: payment_method_required' },
        )
      ).status,
    ).toBe('payment_method_required');

    // The buyer updates the method: the IPN pipeline fetches the permission and signals it, with
    // the new card Amazon now shows (an IPN that finds nothing changed is no fix: dunning-pause-grace-cap.test.ts).
    await h.control.setScript(cp, { next: [], mode: null });
    await h.control.changePaymentMethod(cp, '4242');
    await handle.signal(permissionStatusSignal, { state: 'Chargeable', reasons: [], evidenceOfChange: true, paymentDescriptor: 'Visa ****4242' });
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    expect((await ledger(h, 'dunning-hard-no-evidence')).map((r) => [r.attempt, r.state])).toEqual([
      [1, 'Refused'],
      [2, 'Captured'],
    ]);
  });

  /** Getting permission checks that ran between the IPN's evidence (the last permissionStatus signal) and the retry's Create Charge. */
  async function checksBeforeRetry(handle: SubscriptionHandle): Promise<number> {
    const events = (await handle.fetchHistory()).events ?? [];
    const evidenceAt = events.findLastIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'permissionStatus');
    const retryAt = events.findIndex((e, i) => i > evidenceAt && e.activityTaskScheduledEventAttributes?.activityType?.name === 'chargeCycle');
    expect([evidenceAt > 0, retryAt > evidenceAt]).toEqual([true, true]);
    return events.slice(evidenceAt, retryAt).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'getPermissionStatus').length;
  }

  it('grace period runs out with finalAction cancel: canceled, never charged', async () => {
    const cp = await newPermission(h);
    await h.control.makeNonChargeable(cp, 'PaymentMethodExpired');
    const { handle } = await h.launch(shortSpec('dunning-grace-cancel', cp), {
      paymentMethodGraceMs: 3_000,
      paymentMethodCheckIntervalMs: 1_000,
      finalAction: 'cancel',
    });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'canceled', reason: 'PaymentMethodGraceExpired:PaymentMethodExpired', cycle: 0 });

    const history = await statusHistory(h, 'dunning-grace-cancel');
    expect(history.map((e) => `${e.to}:${e.reason}`)).toEqual([
      'active:Created',
      'payment_method_required:PaymentMethodExpired',
      'canceled:PaymentMethodGraceExpired:PaymentMethodExpired',
    ]);
    expect(history[2]!.at.getTime() - history[1]!.at.getTime()).toBeGreaterThanOrEqual(3_000);
    expect(await simulatorCharges(h, cp)).toHaveLength(0);
    expect((await ledger(h, 'dunning-grace-cancel')).map((r) => [r.attempt, r.reasonCode])).toEqual([[1, 'InvalidChargePermissionStatus']]);
  });

  it('grace period runs out with finalAction mark_unpaid: unpaid, waiting for an admin', async () => {
    const cp = await newPermission(h);
    await h.control.makeNonChargeable(cp, 'PaymentMethodExpired');
    const { handle } = await h.launch(shortSpec('dunning-grace-unpaid', cp), {
      paymentMethodGraceMs: 3_000,
      paymentMethodCheckIntervalMs: 1_000,
      finalAction: 'mark_unpaid',
    });
    const state = await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'unpaid',
      { what: 'unpaid' },
    );
    expect(state).toMatchObject({ statusReason: 'PaymentMethodGraceExpired:PaymentMethodExpired', cycle: 0, chargesMade: 0 });
    const history = await statusHistory(h, 'dunning-grace-unpaid');
    expect(history.map((e) => e.to)).toEqual(['active', 'payment_method_required', 'unpaid']);
    expect(await eventTypes(h.database.db, 'dunning-grace-unpaid')).toEqual([
      'subscription.started',
      'charge.failed',
      'subscription.payment_method_required',
      'subscription.unpaid',
    ]);
    expect(history[2]!.at.getTime() - history[1]!.at.getTime()).toBeGreaterThanOrEqual(3_000);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(await simulatorCharges(h, cp)).toHaveLength(0);
    await handle.terminate('test cleanup');
  });

  // These change what the simulator answers every request (an injected refusal) or hold one
  // shared gate: each runs alone, after the others.
  it.sequential.each([
    ['a business refusal other than the monthly cap', 'TransactionAmountExceeded'],
    ['a request Amazon Pay calls invalid', 'InvalidParameterValue'],
  ])('%s (%s) goes to needs_attention, is not retried, and an admin resume tries again', async (_case, reasonCode) => {
    const id = `dunning-refused-${reasonCode}`;
    const cp = await newPermission(h);
    await h.control.setInjectedErrors([{ operation: 'createCharge', id: cp, status: 400, reasonCode, times: 1 }]);
    const { handle } = await h.launch(shortSpec(id, cp, { cycles: 1 }), { dunningRetryDelaysMs: [300, 300] });
    const state = await eventually(
      () => handle.query(stateQuery),
      (st) => st.status === 'needs_attention',
      { what: 'needs_attention' },
    );
    expect(state).toMatchObject({ statusReason: reasonCode, cycle: 0, attempt: 1 });
    await eventually(
      () => statusOf(h, id),
      (st) => st === 'needs_attention',
      { what: 'needs_attention in PostgreSQL' },
    );
    // Waiting for an admin, not on the dunning schedule: one attempt in both ledgers.
    expect((await h.control.attempts()).attempts.filter((a) => a.outcome === `Injected${reasonCode}`)).toHaveLength(1);
    expect((await ledger(h, id)).map((r) => r.attempt)).toEqual([1]);

    await handle.signal(resumeSignal, { reason: 'operator fixed the request' });
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    // A new key after the admin's resume: the refused request created no charge at Amazon.
    const refusedState = reasonCode === 'InvalidParameterValue' ? 'failed' : 'Refused';
    expect((await ledger(h, id)).map((r) => [r.attempt, r.state, r.reasonCode])).toEqual([
      [1, refusedState, reasonCode],
      [2, 'Captured', null],
    ]);
    const history = await statusHistory(h, id);
    expect(history.map((e) => `${e.to}:${e.reason}`).slice(0, 2)).toEqual(['active:Created', `needs_attention:${reasonCode}`]);
  });

  // What an IPN's fetch showed is weighed as it arrives (FIX_EVIDENCE_SURVIVES_OLDER_CHECK): a Get
  // Charge Permission answer Amazon gave before the buyer's change but delivered after the IPN's
  // evidence must not hide it, nor may evidence that came during the wait's first fetch wait for
  // the next routine check. The gate holds one answer after Amazon gave it.
  it.sequential.each([
    {
      name: 'a new card, while a routine check is in flight',
      id: 'dunning-evidence-check',
      setup: (cp: string) => h.control.setScript(cp, { next: ['HardDeclined'] }),
      // The baseline (old card) is noted before the gate closes, so the held answer is a routine check's.
      armWhen: (s: SubscriptionState) => s.status === 'payment_method_required' && s.permission?.paymentDescriptor === 'Visa ****1111',
      fix: (cp: string) => h.control.changePaymentMethod(cp, '4242'),
      evidence: { state: 'Chargeable' as const, reasons: [], evidenceOfChange: true, paymentDescriptor: 'Visa ****4242' },
    },
    {
      name: 'a new card, while the baseline fetch is in flight',
      id: 'dunning-evidence-baseline',
      setup: (cp: string) => h.control.setScript(cp, { next: ['HardDeclined'] }),
      armWhen: null,
      fix: (cp: string) => h.control.changePaymentMethod(cp, '4242'),
      evidence: { state: 'Chargeable' as const, reasons: [], evidenceOfChange: true, paymentDescriptor: 'Visa ****4242' },
    },
    {
      name: 'Chargeable after NonChargeable, while a routine check that still saw NonChargeable is in flight',
      id: 'dunning-evidence-nonchargeable',
      setup: (cp: string) => h.control.makeNonChargeable(cp, 'PaymentMethodInvalid'),
      armWhen: (s: SubscriptionState) => s.status === 'payment_method_required' && s.permission?.state === 'NonChargeable',
      fix: (cp: string) => h.control.makeChargeable(cp),
      evidence: { state: 'Chargeable' as const, reasons: [], evidenceOfChange: true, paymentDescriptor: 'Visa ****1111' },
    },
  ])("$name: the IPN's evidence is the fix at once", async ({ id, setup, armWhen, fix, evidence }) => {
    const cp = await newPermission(h);
    await setup(cp);
    if (!armWhen) checkGate.chargePermissionId = cp;
    const { handle } = await h.launch(shortSpec(id, cp, { cycles: 1 }), { paymentMethodCheckIntervalMs: 2_000, paymentMethodGraceMs: 10 * 60_000 });
    if (armWhen) {
      await eventually(() => handle.query(stateQuery), armWhen, { what: 'the wait for a payment method, its first answer noted' });
      checkGate.chargePermissionId = cp;
    }
    await checkGate.holding();
    await fix(cp);
    await handle.signal(permissionStatusSignal, evidence);
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.permission?.evidenceOfChange === true,
      { what: "the IPN's evidence noted while the answer is held" },
    );
    checkGate.release();
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    expect((await ledger(h, id)).map((r) => [r.attempt, r.state]).at(-1)).toEqual([2, 'Captured']);
    // No further check was needed to see the fix (before the patch: the next one, 2 s later).
    expect(await checksBeforeRetry(handle)).toBe(0);
  });

  it('a check Amazon answered Chargeable before a NonChargeable IPN landed is not taken over it: no retry against the NonChargeable permission, the fix after it is retried', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['HardDeclined'] });
    checkGate.chargePermissionId = cp;
    const { handle } = await h.launch(shortSpec('dunning-check-before-evidence', cp, { cycles: 1 }), {
      paymentMethodCheckIntervalMs: 10 * 60_000,
      paymentMethodGraceMs: 20 * 60_000,
    });
    // The baseline check after the hard decline has its answer (Chargeable, the card declined) and is held.
    await checkGate.holding();
    await h.control.makeNonChargeable(cp, 'PaymentMethodExpired');
    await handle.signal(permissionStatusSignal, { state: 'NonChargeable', reasons: ['PaymentMethodExpired'], evidenceOfChange: true });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.permission?.state === 'NonChargeable',
      { what: 'the NonChargeable IPN noted while the older answer is held' },
    );
    checkGate.release();
    // The held answer has reached the workflow once a workflow task completed after its activity did.
    await eventually(
      async () => (await handle.fetchHistory()).events ?? [],
      (events) => {
        const answered = events.findLastIndex((e) => e.activityTaskCompletedEventAttributes);
        return answered > 0 && events.slice(answered).some((e) => e.workflowTaskCompletedEventAttributes);
      },
      { what: 'the held answer handled' },
    );
    expect((await handle.query(stateQuery)).permission).toMatchObject({ state: 'NonChargeable', evidenceOfChange: true });
    expect((await ledger(h, 'dunning-check-before-evidence')).map((r) => r.attempt)).toEqual([1]);

    await h.control.makeChargeable(cp);
    await handle.signal(permissionStatusSignal, { state: 'Chargeable', reasons: [], evidenceOfChange: true });
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    // Before CHECK_YIELDS_TO_NEWER_EVIDENCE: attempt 2 sent against the NonChargeable permission, declined.
    expect((await ledger(h, 'dunning-check-before-evidence')).map((r) => [r.attempt, r.state, r.reasonCode])).toEqual([
      [1, 'Refused', 'HardDeclined'],
      [2, 'Captured', null],
    ]);
  });

  it('a new card between the hard decline and the first check after it, no IPN: measured against the card declined, retried at once', async () => {
    const cp = await newPermission(h);
    // The soft decline's dunning check notes the card (Visa ****1111) before the hard-declined retry is sent.
    await h.control.setScript(cp, { next: ['SoftDeclined', 'HardDeclined'] });
    let reads = 0;
    beforeRead.set(cp, async () => {
      reads += 1;
      // The second read is the first after the hard decline: the buyer has just entered a new card.
      if (reads === 2) await h.control.changePaymentMethod(cp, '4242');
    });
    const { handle } = await h.launch(shortSpec('dunning-card-before-baseline', cp, { cycles: 1 }), {
      dunningRetryDelaysMs: [300],
      paymentMethodCheckIntervalMs: 10 * 60_000,
      paymentMethodGraceMs: 20 * 60_000,
    });
    // Before BASELINE_FROM_BEFORE_ATTEMPT the new card was the baseline itself: no check could
    // tell a fix, and the cycle waited out the 20-minute grace.
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    expect((await ledger(h, 'dunning-card-before-baseline')).map((r) => [r.attempt, r.state, r.reasonCode])).toEqual([
      [1, 'Refused', 'SoftDeclined'],
      [2, 'Refused', 'HardDeclined'],
      [3, 'Captured', null],
    ]);
    expect(reads).toBe(2);
  });
});
