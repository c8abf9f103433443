// Issue 13 §4 and issue 14 (fix evidence) on the real stack: an operator's pause holds dunning
// and resume continues it; the payment-method grace runs from the first hard decline and only
// Amazon's answer (not an IPN's arrival) counts as a fix; a plan above the permission's monthly
// cap is refused at start and at plan change, and a capped cycle that no month can fix waits
// for an admin instead of retrying forever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingClient, type BillingClient } from '../../client/index.js';
import { InvalidInputError } from '../../client/errors.js';
import { reactToPermission, type ReactionDeps } from '../../ipn/reaction.js';
import { pauseSignal, resumeSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { cancelNow, chargesScheduled, ledger, newPermission, shortSpec, statusHistory } from '../support/subscriptions.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Each case has its own subscription and Charge Permission and touches no state shared by the
// file (simulator faults, clock): they run side by side.
describe.concurrent('dunning waits that end', () => {
  let h: BillingHarness;
  let billing: BillingClient;
  let ipn: ReactionDeps;
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
    ipn = { db: h.database.db, amazonPay: h.amazonPay, temporal: h.temporal.client, now: h.now };
  });
  afterAll(async () => h?.close());

  it("an operator's pause in dunning stops every charge; resume continues at the dunning step it stood", async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['SoftDeclined', 'SoftDeclined'] });
    const { handle } = await h.launch(shortSpec('pause-dunning', cp, { cycles: 1 }), { dunningRetryDelaysMs: [3_000, 1_000, 1_000] });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'past_due',
      { what: 'past_due' },
    );
    await handle.signal(pauseSignal, { reason: 'operator hold' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'paused',
      { what: 'paused' },
    );
    // Past the 3-second retry: nothing is charged while paused.
    await sleep(5_000);
    expect(await ledger(h, 'pause-dunning')).toHaveLength(1);
    const resumedAt = Date.now();
    await handle.signal(resumeSignal, { reason: 'go on' });
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    const rows = await ledger(h, 'pause-dunning');
    expect(rows.map((r) => [r.attempt, r.state])).toEqual([
      [1, 'Refused'],
      [2, 'Refused'],
      [3, 'Captured'],
    ]);
    expect(rows[1]!.requestedAt.getTime()).toBeGreaterThanOrEqual(resumedAt);
    const history = (await statusHistory(h, 'pause-dunning')).map((e) => `${e.to}:${e.reason}`);
    expect(history).toEqual(['active:Created', 'past_due:SoftDeclined', 'paused:operator hold', 'past_due:SoftDeclined', 'active:null', 'ended:TermCompleted']);
  }, 60_000);

  it('the grace period runs from the first hard decline; repeated IPNs that find the permission unchanged buy no attempt', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { mode: 'HardDeclined' });
    const graceMs = 12_000;
    const { handle } = await h.launch(shortSpec('grace-first', cp, { cycles: 1 }), {
      paymentMethodGraceMs: graceMs,
      paymentMethodCheckIntervalMs: 60_000,
      finalAction: 'cancel',
    });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'payment_method_required',
      { what: 'payment_method_required' },
    );
    const firstDecline = (await ledger(h, 'grace-first'))[0]!.completedAt!.getTime();

    // A real fix as Amazon reports it (NonChargeable → Chargeable): one more attempt, declined again.
    await h.control.makeNonChargeable(cp, 'PaymentMethodInvalid');
    await reactToPermission(ipn, cp);
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.permission?.state === 'NonChargeable',
      { what: 'NonChargeable seen' },
    );
    await h.control.makeChargeable(cp);
    await h.control.setScript(cp, { mode: 'HardDeclined' });
    await reactToPermission(ipn, cp);
    await eventually(
      () => ledger(h, 'grace-first'),
      (rows) => rows.length === 2 && rows[1]!.state === 'Refused',
      { what: 'attempt 2 declined' },
    );

    // Duplicate or forged IPNs: each reaction fetches the permission, Chargeable and unchanged.
    for (let i = 0; i < 6; i++) {
      await reactToPermission(ipn, cp);
      await sleep(500);
    }
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'canceled', reason: 'PaymentMethodGraceExpired:HardDeclined' });
    expect((await ledger(h, 'grace-first')).map((r) => [r.attempt, r.reasonCode])).toEqual([
      [1, 'HardDeclined'],
      [2, 'HardDeclined'],
    ]);
    const canceledAt = (await statusHistory(h, 'grace-first')).at(-1)!.at.getTime();
    expect(canceledAt - firstDecline).toBeGreaterThanOrEqual(graceMs - 1_000);
    expect(canceledAt - firstDecline).toBeLessThan(graceMs + 4_000);
  }, 60_000);

  it('a new payment method Amazon reports (a new payment descriptor) counts as a fix even while the permission stayed Chargeable', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['HardDeclined'] });
    const { handle } = await h.launch(shortSpec('descriptor-fix', cp, { cycles: 1 }), { paymentMethodCheckIntervalMs: 60_000 });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'payment_method_required' && s.permission?.paymentDescriptor === 'Visa ****1111',
      { what: 'payment_method_required' },
    );
    await reactToPermission(ipn, cp);
    // Handled: the workflow holds the reaction's answer (evidence, same card) and decided on it in
    // that task; a retry it decided on would be scheduled in its history. None is.
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.permission?.evidenceOfChange === true,
      { what: "the reaction's signal handled" },
    );
    expect(await chargesScheduled(handle)).toBe(1);
    expect(await ledger(h, 'descriptor-fix')).toHaveLength(1);
    // What the IPN pipeline would signal once Amazon shows the buyer's new card.
    await handle.signal((await import('../../workflows/messages.js')).permissionStatusSignal, {
      state: 'Chargeable',
      reasons: [],
      evidenceOfChange: true,
      paymentDescriptor: 'Visa ****4242',
    });
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    expect((await ledger(h, 'descriptor-fix')).map((r) => [r.attempt, r.state])).toEqual([
      [1, 'Refused'],
      [2, 'Captured'],
    ]);
  }, 60_000);

  it('a cycle above the monthly cap goes to needs_attention naming the limit instead of waiting for a month that cannot help', async () => {
    const cp = await newPermission(h); // Recurring USD: 1,000.00 a month
    const { handle } = await h.launch(shortSpec('cap-hopeless', cp, { amountMinor: '150000' }));
    const state = await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'needs_attention',
      { what: 'needs_attention', timeoutMs: 20_000 },
    );
    expect(state.statusReason).toBe('PlanExceedsMonthlyCap');
    const event = (await statusHistory(h, 'cap-hopeless')).at(-1);
    expect(event).toMatchObject({ to: 'needs_attention', reason: 'PlanExceedsMonthlyCap' });
    expect(JSON.stringify(event?.detail)).toMatch(/monthly limit 100000 USD/);
    await cancelNow(h, handle, 'test done');
  }, 60_000);

  it('start and change-plan refuse an amount above the monthly cap, naming it (150,000 JPY on a 100,000 JPY Recurring permission)', async () => {
    const cp = await newPermission(h, 'JPY');
    const base = { chargePermissionId: cp, anchor: { localDateTime: '2031-01-15T09:00', zone: 'Asia/Tokyo' } };
    const refusal = await billing
      .startSubscription({ ...base, id: 'cap-start', plan: { amountMinor: '150000', currency: 'JPY', interval: { unit: 'month', count: 1 } } })
      .catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(InvalidInputError);
    expect(String((refusal as Error).message)).toMatch(/plan\.amountMinor 150000 JPY per cycle.*monthly limit.*100000 JPY/);

    await billing.startSubscription({ ...base, id: 'cap-change', plan: { amountMinor: '50000', currency: 'JPY', interval: { unit: 'month', count: 1 } } });
    const changeRefusal = await billing.changePlan('cap-change', { amountMinor: '150000' }).catch((e: unknown) => e);
    expect(changeRefusal).toBeInstanceOf(InvalidInputError);
    expect(String((changeRefusal as Error).message)).toMatch(/amountMinor 150000 JPY.*monthly limit.*100000 JPY/);
    expect((await billing.changePlan('cap-change', { amountMinor: '100000' })).amountMinor).toBe('100000');
    await billing.stopSubscription('cap-change');
  }, 60_000);

  it('starts and plan changes on one permission at the same moment are decided one after the other: together they never pass the monthly cap', async () => {
    const cp = await newPermission(h, 'JPY');
    const plan = (amountMinor: string) => ({ amountMinor, currency: 'JPY', interval: { unit: 'month' as const, count: 1 } });
    const base = { chargePermissionId: cp, anchor: { localDateTime: '2031-01-15T09:00', zone: 'Asia/Tokyo' } };
    // Two starts of 60,000 JPY on a 100,000 JPY cap: each fits alone, not both.
    const starts = await Promise.allSettled(['cap-race-a', 'cap-race-b'].map((id) => billing.startSubscription({ ...base, id, plan: plan('60000') })));
    expect(starts.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = starts.find((s) => s.status === 'rejected')!.reason as Error;
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect(refused.message).toMatch(/monthly limit.*100000 JPY/);
    const started = (starts.find((s) => s.status === 'fulfilled') as PromiseFulfilledResult<{ subscription: { id: string } }>).value.subscription.id;
    await billing.stopSubscription(started);

    // Two subscriptions of 40,000 JPY, both raised to 60,000 at once: one change passes, the other is refused.
    for (const id of ['cap-race-c', 'cap-race-d']) await billing.startSubscription({ ...base, id, plan: plan('40000') });
    const changes = await Promise.allSettled(['cap-race-c', 'cap-race-d'].map((id) => billing.changePlan(id, { amountMinor: '60000' })));
    expect(changes.map((c) => c.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((changes.find((c) => c.status === 'rejected')!.reason as Error).message).toMatch(/monthly limit.*100000 JPY/);
    for (const id of ['cap-race-c', 'cap-race-d']) await billing.stopSubscription(id);

    // Two changes of one subscription at once (20,000 JPY monthly): weekly (up to 5 × 20,000) or
    // 25,000 monthly each fit; both together (25,000 weekly, up to 125,000) do not: one is refused.
    await billing.startSubscription({ ...base, id: 'cap-race-e', plan: plan('20000') });
    const own = await Promise.allSettled([
      billing.changePlan('cap-race-e', { interval: { unit: 'week', count: 1 } }),
      billing.changePlan('cap-race-e', { amountMinor: '25000' }),
    ]);
    expect(own.map((c) => c.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((own.find((c) => c.status === 'rejected')!.reason as Error).message).toMatch(/monthly limit.*100000 JPY/);
    await billing.stopSubscription('cap-race-e');
  }, 90_000);
});
