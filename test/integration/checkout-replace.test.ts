// Issue 18, the EU/UK plan change through a new checkout, on the real stack (Temporal dev server,
// PostgreSQL, the Amazon Pay simulator, the product's workers), with a merchant account in Amazon
// Pay's EU region: a plan increase is refused (PSD2), the merchant creates a checkout with
// replacesSubscriptionId, the buyer approves it on the simulator's buyer page, and complete starts
// the new subscription with nothing charged at checkout, its cycle 0 at the old subscription's next
// billing date, stops the old one (ReplacedBy:<new id>) and closes its Charge Permission. Sandbox
// cycles of 30 seconds keep it under a minute.
import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AmazonPayClient } from '../../amazonpay/client.js';
import type { CreateCheckoutInput } from '../../client/checkout/create.js';
import type { BillingClient } from '../../client/index.js';
import { CheckoutRequiredError, ConflictError, InvalidInputError, UpstreamError } from '../../client/errors.js';
import { finishUnfinishedReplacements } from '../../client/checkout/replace.js';
import { getCheckout, saveCheckout } from '../../db/queries/checkouts.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { amazonPayInRegion, anchorSecondsFromNow, billingClientOf, eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { checkoutAsBuyer } from '../support/checkout.js';
import { checkedEvents } from '../support/events.js';
import { ledger, newPermission, simulatorCharges } from '../support/subscriptions.js';

const CYCLE_SECONDS = 30;
const RETURN_URL = 'http://localhost:8080/shop/return';

describe.concurrent('a plan change in the EU/UK region through a checkout that replaces the subscription', () => {
  let h: BillingHarness;
  let eu: BillingClient;
  let euAmazonPay: AmazonPayClient;

  beforeAll(async () => {
    h = await startBillingHarness();
    // The same merchant key and simulator, as a merchant account in Amazon Pay's EU region (x-amz-pay-region: eu).
    euAmazonPay = amazonPayInRegion(h, 'eu');
    eu = billingClientOf(h, euAmazonPay);
  });
  afterAll(async () => {
    euAmazonPay?.close();
    await h?.close();
  });

  const plan = (amountMinor: string, currency = 'EUR') => ({ amountMinor, currency, interval: { unit: 'second' as const, count: CYCLE_SECONDS } });
  /** An EU subscription of 10.00 EUR every 30 s whose cycle 0 is paid: its current period is paid, cycle 1 is its next billing date. */
  const paidOldSubscription = async (id: string): Promise<{ chargePermissionId: string; nextBillingAt: Date }> => {
    const chargePermissionId = await newPermission(h, 'EUR');
    await eu.startSubscription({ id, chargePermissionId, plan: plan('1000'), anchor: anchorSecondsFromNow(1), end: { afterCycles: 10 } });
    const row = await eventually(
      () => getSubscription(h.database.db, id),
      (r) => r?.currentCycle === 1 && r.nextBillingAt !== null,
      { what: `cycle 0 of ${id} paid` },
    );
    return { chargePermissionId, nextBillingAt: row!.nextBillingAt! };
  };
  const replacement = (subscriptionId: string, replacesSubscriptionId: string, overrides: Partial<CreateCheckoutInput> = {}): CreateCheckoutInput => ({
    subscriptionId,
    plan: plan('1200'),
    end: { afterCycles: 3 },
    checkoutResultReturnUrl: RETURN_URL,
    replacesSubscriptionId,
    ...overrides,
  });
  const refusalOf = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: unknown) => error as Error,
    );

  it('refused increase → checkout with replacesSubscriptionId → approve → complete: no charge at checkout, cycle 0 at the old next billing date, old one stopped and its permission Closed; a repeat answers the same', async () => {
    const { chargePermissionId: oldPermission, nextBillingAt: oldNext } = await paidOldSubscription('eu-old');

    // The plan increase is refused under PSD2, naming the replacement path.
    const refused = await refusalOf(eu.changePlan('eu-old', { amountMinor: '1200' }));
    expect(refused).toBeInstanceOf(CheckoutRequiredError);
    expect(refused.message).toMatch(
      /create a checkout for the new plan with a new subscription id and replacesSubscriptionId eu-old \(POST \/v1\/checkout-sessions\)/,
    );

    const button = await eu.createCheckout(replacement('eu-new', 'eu-old'));
    expect(button).toMatchObject({ subscriptionId: 'eu-new', replacesSubscriptionId: 'eu-old', paymentIntent: 'Confirm', chargeAmount: null });
    const payload = JSON.parse(button.createCheckoutSessionConfig.payloadJSON);
    // The buyer consents to the new plan's terms; nothing is charged at checkout.
    expect(payload.recurringMetadata).toEqual({ frequency: { unit: 'Variable', value: '0' }, amount: { amount: '12.00', currencyCode: 'EUR' } });
    expect(payload.paymentDetails).toEqual({ paymentIntent: 'Confirm', presentmentCurrency: 'EUR' });

    const { checkoutSessionId } = await checkoutAsBuyer(h.simulator.url, button.createCheckoutSessionConfig);
    const done = await eu.completeCheckout(checkoutSessionId);
    const completedAt = Date.now();
    expect(done).toMatchObject({
      created: true,
      chargeId: null,
      subscription: { id: 'eu-new', status: 'active', firstChargeId: null },
      nextBillingAt: oldNext.toISOString(),
      replaced: {
        subscriptionId: 'eu-old',
        status: 'canceled',
        statusReason: 'ReplacedBy:eu-new',
        chargePermissionId: oldPermission,
        chargePermissionClosed: true,
      },
    });
    const newPermissionId = done.chargePermissionId;
    expect(newPermissionId).not.toBe(oldPermission);
    // Nothing charged at checkout on the new permission.
    expect(await simulatorCharges(h, newPermissionId)).toEqual([]);
    // The old permission is Closed at Amazon Pay (Close Charge Permission, by the merchant).
    const closed = await h.control.getChargePermission(oldPermission);
    expect(closed.chargePermission.statusDetails).toMatchObject({ state: 'Closed', reasons: [expect.objectContaining({ reasonCode: 'MerchantClosed' })] });

    // The new subscription's first charge is cycle 0 at the old one's next billing date: no gap, no double charge.
    const [first] = await eventually(
      () => ledger(h, 'eu-new'),
      (rows) => rows.some((r) => r.state === 'Captured'),
      { what: 'cycle 0 of eu-new charged', timeoutMs: (CYCLE_SECONDS + 20) * 1000 },
    );
    expect(first).toMatchObject({ cycle: 0, state: 'Captured', amountMinor: 1200n });
    const [newCharge] = await simulatorCharges(h, newPermissionId);
    expect(Date.parse(newCharge!.createdAt)).toBeGreaterThanOrEqual(oldNext.getTime());
    expect(Date.parse(newCharge!.createdAt) - oldNext.getTime()).toBeLessThan(10_000);

    // The old permission: cycle 0 only, and no Create Charge attempt after the complete (its cycle 1 has passed).
    await sleep(1_000);
    expect((await simulatorCharges(h, oldPermission)).map((c) => c.amountMinor)).toEqual(['1000']);
    const attempts = (await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === oldPermission);
    expect(attempts.filter((a) => a.at >= completedAt)).toEqual([]);
    expect(attempts).toHaveLength(1);

    // The old subscription's end says it was replaced and by which subscription (one event, from its workflow's status write).
    const oldRow = await getSubscription(h.database.db, 'eu-old');
    expect(oldRow).toMatchObject({ status: 'canceled', statusReason: 'ReplacedBy:eu-new' });
    const canceled = (await checkedEvents(h.database.db, 'eu-old')).filter((e) => e.type === 'subscription.canceled');
    expect(canceled).toHaveLength(1);
    expect(canceled[0]!.data).toMatchObject({ status: 'canceled', previous_status: 'active', reason: 'ReplacedBy:eu-new', replaced_by: 'eu-new' });

    // A repeated complete (the buyer reloads the return page) answers the same.
    const again = await eu.completeCheckout(checkoutSessionId);
    expect(again).toEqual({ ...done, created: false, subscription: expect.objectContaining({ id: 'eu-new' }) });

    // A subscription is replaced once.
    const twice = await refusalOf(eu.createCheckout(replacement('eu-newer', 'eu-old')));
    expect(twice).toBeInstanceOf(ConflictError);
    expect(twice.message).toMatch(/^Subscription eu-old was already replaced by subscription eu-new \(its checkout was completed\)/);
    await eu.stopSubscription('eu-new');
  }, 120_000);

  it('Close Charge Permission failing after the new subscription started: complete fails retryably, the repeat closes it and answers the same as later repeats', async () => {
    const { chargePermissionId: oldPermission } = await paidOldSubscription('eu-old-2');
    const button = await eu.createCheckout(replacement('eu-new-2', 'eu-old-2'));
    // A second checkout replacing the same subscription, made before either completed (another tab): allowed until one completes.
    const rival = await eu.createCheckout(replacement('eu-rival-2', 'eu-old-2'));
    const { checkoutSessionId } = await checkoutAsBuyer(h.simulator.url, button.createCheckoutSessionConfig);
    await h.control.setInjectedErrors([
      { operation: 'closeChargePermission', id: oldPermission, status: 503, reasonCode: 'ServiceUnavailable', message: 'injected', times: 1 },
    ]);
    const failed = await refusalOf(eu.completeCheckout(checkoutSessionId));
    expect(failed).toBeInstanceOf(UpstreamError);
    expect(failed.message).toMatch(
      /Subscription eu-new-2 runs and subscription eu-old-2 is stopped, but Amazon Pay Close Charge Permission .* failed .*; complete again to close it/,
    );
    expect((await h.control.getChargePermission(oldPermission)).chargePermission.statusDetails.state).toBe('Chargeable');

    const finished = await eu.completeCheckout(checkoutSessionId);
    expect(finished).toMatchObject({
      created: false,
      subscription: { id: 'eu-new-2' },
      replaced: { subscriptionId: 'eu-old-2', status: 'canceled', statusReason: 'ReplacedBy:eu-new-2', chargePermissionClosed: true },
    });
    expect((await h.control.getChargePermission(oldPermission)).chargePermission.statusDetails.state).toBe('Closed');
    // The same answer again (the subscription view is read anew: its workflow may have planned cycle 0 meanwhile).
    expect(await eu.completeCheckout(checkoutSessionId)).toEqual({ ...finished, subscription: expect.objectContaining({ id: 'eu-new-2', status: 'active' }) });

    // The rival session, approved later, is refused before Amazon Pay completes it: the subscription was replaced once.
    const { checkoutSessionId: rivalSession } = await checkoutAsBuyer(h.simulator.url, rival.createCheckoutSessionConfig);
    const refused = await refusalOf(eu.completeCheckout(rivalSession));
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused.message).toMatch(/^Subscription eu-old-2 was already replaced by subscription eu-new-2/);
    expect(await getSubscription(h.database.db, 'eu-rival-2')).toBeUndefined();
    const rivalAtAmazon = await euAmazonPay.getCheckoutSession(rivalSession);
    expect(rivalAtAmazon.kind === 'ok' && rivalAtAmazon.body.statusDetails.state).toBe('Open');
    await eu.stopSubscription('eu-new-2');
  }, 120_000);

  it('the day of month carries over: a monthly plan anchored Jan 31 (a month of trial) whose next date is Feb 28 is replaced by one billing Feb 28, Mar 31, Apr 30', async () => {
    const chargePermissionId = await newPermission(h, 'EUR');
    const monthly = { unit: 'month' as const, count: 1 };
    await eu.startSubscription({
      id: 'eu-jan31',
      chargePermissionId,
      plan: { amountMinor: '1000', currency: 'EUR', interval: monthly },
      anchor: { localDateTime: '2031-01-31T09:00', zone: 'Europe/Berlin' },
      trial: monthly,
    });
    const old = await eventually(
      () => getSubscription(h.database.db, 'eu-jan31'),
      (r) => r?.nextBillingAt != null,
      { what: 'cycle 0 of eu-jan31 planned' },
    );
    const feb28 = DateTime.fromISO('2031-02-28T09:00', { zone: 'Europe/Berlin' });
    expect(old!.nextBillingAt!.toISOString()).toBe(feb28.toUTC().toISO());

    const button = await eu.createCheckout({
      ...replacement('eu-jan31-new', 'eu-jan31'),
      plan: { amountMinor: '1200', currency: 'EUR', interval: monthly },
      end: undefined,
    });
    expect(button.paymentIntent).toBe('Confirm');
    const { checkoutSessionId } = await checkoutAsBuyer(h.simulator.url, button.createCheckoutSessionConfig);
    const done = await eu.completeCheckout(checkoutSessionId);
    expect(done.subscription.anchor).toEqual({ localDateTime: '2031-02-28T09:00:00', zone: 'Europe/Berlin', dayOfMonth: 31 });
    expect(done.nextBillingAt).toBe(feb28.toUTC().toISO());
    expect(done.replaced).toMatchObject({ subscriptionId: 'eu-jan31', status: 'canceled', chargePermissionClosed: true });
    expect(await getSubscription(h.database.db, 'eu-jan31-new')).toMatchObject({ anchorLocal: '2031-02-28T09:00:00', anchorDayOfMonth: 31 });

    // The new subscription's workflow plans from the stored anchor: Feb 28, then Mar 31 (not Mar 28), Apr 30.
    const details = await eventually(
      () => eu.getSubscription('eu-jan31-new'),
      (d) => (d.workflow.live?.upcoming?.length ?? 0) >= 3,
      { what: 'eu-jan31-new planned' },
    );
    const berlin = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/Berlin' }).toFormat("yyyy-MM-dd'T'HH:mm");
    expect(details.workflow.live!.upcoming!.slice(0, 3).map((c) => berlin(c.dueAt))).toEqual(['2031-02-28T09:00', '2031-03-31T09:00', '2031-04-30T09:00']);
    const started = (await checkedEvents(h.database.db, 'eu-jan31-new')).find((e) => e.type === 'subscription.started');
    expect(started?.data).toMatchObject({ anchor: { local_date_time: '2031-02-28T09:00:00', zone: 'Europe/Berlin', day_of_month: 31 } });
    await eu.stopSubscription('eu-jan31-new');
  }, 120_000);

  it('a complete that crashed after starting the new subscription and was never repeated: the drift job stops the old one and closes its permission', async () => {
    const oldPermission = await newPermission(h, 'EUR');
    const monthly = { unit: 'month' as const, count: 1 };
    const anchor = { localDateTime: '2031-05-15T09:00', zone: 'Europe/Berlin' };
    await eu.startSubscription({
      id: 'eu-crash-old',
      chargePermissionId: oldPermission,
      plan: { amountMinor: '1000', currency: 'EUR', interval: monthly },
      anchor,
    });
    // What the crash left: the new subscription started from its checkout (which replaces the old one), the old one still live.
    await eu.startSubscription({
      id: 'eu-crash-new',
      chargePermissionId: await newPermission(h, 'EUR'),
      plan: { amountMinor: '1200', currency: 'EUR', interval: monthly },
      anchor,
    });
    await saveCheckout(h.database.db, {
      subscriptionId: 'eu-crash-new',
      account: null,
      terms: {},
      payloadJson: '{}',
      replacesSubscriptionId: 'eu-crash-old',
      at: new Date(),
    });

    const deps = { db: h.database.db, now: () => new Date(), temporal: async () => h.temporal.client, amazonPay: () => euAmazonPay };
    // Not yet: a complete may still be running (the drift job passes driftMinAgeMs, 5 minutes, here a moment ago).
    // (An earlier case's replacement that a loaded machine left unfinished may be swept too: only this one is looked at.)
    const ours = (result: Awaited<ReturnType<typeof finishUnfinishedReplacements>>) => ({
      finished: result.finished.filter((r) => r.subscriptionId === 'eu-crash-old'),
      failed: result.failed.filter((r) => r.subscriptionId === 'eu-crash-new'),
    });
    expect(ours(await finishUnfinishedReplacements(deps, new Date(Date.now() - 60_000)))).toEqual({ finished: [], failed: [] });
    const swept = ours(await finishUnfinishedReplacements(deps, new Date()));
    expect(swept.failed).toEqual([]);
    // Its status is what the old workflow had recorded within complete's 10 s wait: on a loaded
    // machine it may still be stopping, so its end is awaited here rather than compared.
    expect(swept.finished).toMatchObject([{ subscriptionId: 'eu-crash-old', chargePermissionId: oldPermission, chargePermissionClosed: true }]);
    const ended = await eventually(
      () => getSubscription(h.database.db, 'eu-crash-old'),
      (row) => row?.status === 'canceled',
      { what: 'the replaced subscription canceled' },
    );
    expect(ended?.statusReason).toBe('ReplacedBy:eu-crash-new');
    expect((await h.control.getChargePermission(oldPermission)).chargePermission.statusDetails.state).toBe('Closed');
    expect((await getCheckout(h.database.db, 'eu-crash-new'))?.replacementFinishedAt).toBeInstanceOf(Date);
    // Finished once: the next run has nothing to do.
    expect(ours(await finishUnfinishedReplacements(deps, new Date()))).toEqual({ finished: [], failed: [] });
    await eu.stopSubscription('eu-crash-new');
  }, 120_000);

  it('refusals: unknown, ended, paused, another currency, another zone, a trial; nothing is stored', async () => {
    const unknown = await refusalOf(eu.createCheckout(replacement('eu-no-1', 'no-such-subscription')));
    expect(unknown).toBeInstanceOf(InvalidInputError);
    expect((unknown as InvalidInputError).problems).toEqual([
      {
        field: 'replacesSubscriptionId',
        message: expect.stringMatching(/^names no subscription \(got "no-such-subscription"\): give the id of the live subscription/),
      },
    ]);

    await paidOldSubscription('eu-refused');
    const currency = await refusalOf(eu.createCheckout(replacement('eu-no-2', 'eu-refused', { plan: plan('1200', 'USD') })));
    expect(currency).toBeInstanceOf(InvalidInputError);
    expect((currency as InvalidInputError).problems).toEqual([
      {
        field: 'plan.currency',
        message: expect.stringMatching(
          /^must be EUR, the currency of subscription eu-refused it replaces .*, got USD; for another currency leave replacesSubscriptionId out$/,
        ),
      },
    ]);
    const zone = await refusalOf(eu.createCheckout(replacement('eu-no-3', 'eu-refused', { zone: 'Europe/Paris' })));
    expect((zone as InvalidInputError).problems).toEqual([
      { field: 'zone', message: expect.stringMatching(/^must be UTC \(the zone of subscription eu-refused/) },
    ]);
    const trial = await refusalOf(eu.createCheckout(replacement('eu-no-4', 'eu-refused', { trial: { unit: 'second', count: 30 } })));
    expect((trial as InvalidInputError).problems.map((p) => p.field)).toEqual(['trial']);

    await eu.pause('eu-refused');
    await eventually(
      () => getSubscription(h.database.db, 'eu-refused'),
      (r) => r?.status === 'paused',
      { what: 'eu-refused paused' },
    );
    const paused = await refusalOf(eu.createCheckout(replacement('eu-no-5', 'eu-refused')));
    expect(paused).toBeInstanceOf(ConflictError);
    expect(paused.message).toMatch(/^Subscription eu-refused is paused: .*resume it first$/);

    await eu.stopSubscription('eu-refused');
    await eventually(
      () => getSubscription(h.database.db, 'eu-refused'),
      (r) => r?.status === 'canceled',
      { what: 'eu-refused canceled' },
    );
    const ended = await refusalOf(eu.createCheckout(replacement('eu-no-6', 'eu-refused')));
    expect(ended).toBeInstanceOf(ConflictError);
    expect(ended.message).toMatch(
      /^Subscription eu-refused has ended \(status canceled, .*\): a checkout replaces only an active or trialing subscription; leave replacesSubscriptionId out to start a new one$/,
    );

    // A stop the merchant asked for at period end stands: no replacement bills past it.
    await paidOldSubscription('eu-ending');
    await eu.stopSubscription('eu-ending', { atPeriodEnd: true, reason: 'BuyerRequested' });
    const ending = await refusalOf(eu.createCheckout(replacement('eu-no-7', 'eu-ending')));
    expect(ending).toBeInstanceOf(ConflictError);
    expect(ending.message).toMatch(
      /^Subscription eu-ending stops at the end of its period \(BuyerRequested, on (\S+)\); a checkout does not replace a subscription with a stop recorded: start the new plan with a checkout without replacesSubscriptionId once it has ended on \1 \(a checkout before then would charge for a period already paid\)$/,
    );
    await eu.stopSubscription('eu-ending');

    const stored = await h.database.db.execute(sql`select subscription_id from checkouts where subscription_id like 'eu-no-%'`);
    expect(stored).toHaveLength(0);
  }, 120_000);
});
