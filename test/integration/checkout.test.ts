// Issue 18, the product's half: a subscription starts from checkout. Over real HTTP against the
// real stack (daemon with its workers, Temporal dev server, PostgreSQL, the Amazon Pay simulator):
// POST /v1/checkout-sessions signs the button, the buyer clicks it and approves on the simulator's
// buyer page (form posts, no browser: test/support/checkout.ts), and
// POST /v1/checkout-sessions/{id}/complete starts the subscription. Every response is checked
// against the served OpenAPI document.
import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmazonPayClient, type AmazonPayClient } from '../../amazonpay/client.js';
import { createBillingClient } from '../../client/index.js';
import { NotConfiguredError } from '../../client/errors.js';
import { DEFAULT_BILLING_POLICY } from '../../config/policy.js';
import { listCharges } from '../../db/queries/charges.js';
import { getCheckout } from '../../db/queries/checkouts.js';
import { SIMULATOR_MERCHANT_ID } from '../../devstack/sandbox-credentials.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { eventually } from '../support/billing-harness.js';
import { checkoutAsBuyer, clickAmazonPayButton } from '../support/checkout.js';
import { approveAsBuyer } from '../../simulator/buyer-client.js';
import type { TestDatabase } from '../support/integration.js';
import { newKey, openApiClient, startBody, type ApiClient } from './api-support.js';
import { startDaemonStack, uniqueTaskQueues, type DaemonStack, type SimulatorWithKeys } from './ipn-support.js';
import { untilCommittedEventsReadable } from '../support/events.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RETURN_URL = 'http://localhost:8080/shop/return?order=1';
const PROBLEM = 'urn:amazon-pay-billing:problem:';

describe('checkout: from the Amazon Pay button to a running subscription', () => {
  let stack: DaemonStack;
  let database: TestDatabase;
  let sim: SimulatorWithKeys;
  let api: ApiClient;
  /** The merchant's own Amazon Pay client, for what a test reads or signs behind the daemon's back. */
  let amazon: AmazonPayClient;

  beforeAll(async () => {
    stack = await startDaemonStack();
    ({ database, sim } = stack);
    ({ client: api } = await openApiClient(stack.daemon.apiUrl, await newKey(database.db, 'checkout')));
    amazon = createAmazonPayClient(sim.amazonPay);
  });
  afterAll(async () => {
    amazon?.close();
    await stack?.close();
  });

  /** POST /v1/checkout-sessions for 14.00 USD a month (with `overrides`); the 200 body. */
  const createButton = async (subscriptionId: string, overrides: Record<string, unknown> = {}): Promise<Body> => {
    const created = await api.call<Body>('POST', '/v1/checkout-sessions', {
      body: {
        subscriptionId,
        plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month' } },
        zone: 'America/New_York',
        checkoutResultReturnUrl: RETURN_URL,
        merchantMetadata: { merchantStoreName: 'Test Shop' },
        ...overrides,
      },
    });
    expect(created.status, created.text).toBe(200);
    return created.body;
  };
  const complete = (checkoutSessionId: string) => api.call<Body>('POST', '/v1/checkout-sessions/{id}/complete', { params: { id: checkoutSessionId } });
  const simulatorCharges = async (chargePermissionId: string) => (await sim.control.charges()).filter((c) => c.chargePermissionId === chargePermissionId);

  it('create → the buyer approves → complete: the subscription runs, cycle 0 is the checkout charge in the ledger, never charged again; a repeat returns it', async () => {
    const button = await createButton('co-paid', { softDescriptor: 'TEST SHOP' });
    expect(button).toMatchObject({ subscriptionId: 'co-paid', paymentIntent: 'AuthorizeWithCapture', chargeAmount: { amount: '14.00', currency: 'USD' } });
    // renderButton's merchantId is the configured merchant ID (AMAZON_PAY_MERCHANT_ID): Amazon's button needs it.
    expect(button.button).toMatchObject({
      merchantId: SIMULATOR_MERCHANT_ID,
      sandbox: true,
      productType: 'PayOnly',
      createCheckoutSessionConfig: { publicKeyId: sim.amazonPay.publicKeyId },
    });
    const payload = JSON.parse(button.button.createCheckoutSessionConfig.payloadJSON as string);
    expect(payload).toMatchObject({
      storeId: sim.amazonPay.storeId,
      webCheckoutDetails: { checkoutMode: 'ProcessOrder', checkoutResultReturnUrl: RETURN_URL },
      chargePermissionType: 'Recurring',
      recurringMetadata: { frequency: { unit: 'Month', value: '1' }, amount: { amount: '14.00', currencyCode: 'USD' } },
      paymentDetails: {
        paymentIntent: 'AuthorizeWithCapture',
        chargeAmount: { amount: '14.00', currencyCode: 'USD' },
        presentmentCurrency: 'USD',
        softDescriptor: 'TEST SHOP',
      },
      merchantMetadata: { merchantReferenceId: 'co-paid', merchantStoreName: 'Test Shop' },
    });

    const { checkoutSessionId, returnUrl } = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig);
    expect(returnUrl.startsWith(`${RETURN_URL}&amazonCheckoutSessionId=`)).toBe(true);
    const done = await complete(checkoutSessionId);
    expect(done.status, done.text).toBe(201);
    const { chargePermissionId, chargeId } = done.body;
    expect(chargeId).toEqual(expect.any(String));
    expect(done.body).toMatchObject({
      created: true,
      checkoutSessionId,
      subscription: { id: 'co-paid', status: 'active', chargePermissionId, firstChargeId: chargeId },
    });
    // The next billing date is in the answer at once: cycle 1, a month after the anchor (the moment of completion) in the buyer's zone.
    const { anchor } = done.body.subscription;
    const monthOn = DateTime.fromISO(anchor.localDateTime, { zone: anchor.zone }).plus({ months: 1 });
    expect(done.body.nextBillingAt).toBe(monthOn.toUTC().toISO());

    // Cycle 0 is the checkout's charge (attempt 0), Captured; the workflow went on to cycle 1 a month later.
    const details = await eventually(
      () => api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'co-paid' } }),
      (d) => d.body.live?.cycle === 1 && d.body.charges.length === 1,
      { what: 'cycle 0 recorded and cycle 1 planned' },
    );
    expect(details.body.charges).toEqual([
      expect.objectContaining({ cycle: 0, attempt: 0, chargeId, state: 'Captured', outcome: 'checkout', amount: { amount: '14.00', currency: 'USD' } }),
    ]);
    const nextBilling = Date.parse(details.body.live.nextBillingAt as string);
    expect(nextBilling - Date.now()).toBeGreaterThan(27 * 86_400_000);
    // The workflow planned cycle 1 for the date complete answered.
    expect(details.body.live.nextBillingAt).toBe(done.body.nextBillingAt);
    // Amazon Pay charged the buyer once: the checkout's charge; no Create Charge for cycle 0.
    const charged = await simulatorCharges(chargePermissionId as string);
    expect(charged.map((c) => [c.chargeId, c.state, c.softDescriptor])).toEqual([[chargeId, 'Captured', 'TEST SHOP']]);
    expect((await sim.control.attempts()).attempts.filter((a) => a.chargePermissionId === chargePermissionId)).toEqual([]);

    // The usual events through the outbox: subscription.started, then charge.succeeded for cycle 0.
    const events = await eventually(
      () => api.call<Body>('GET', '/v1/events', { query: { subscription: 'co-paid' } }),
      (e) => e.body.data.length >= 2,
      { what: 'the events of the checkout' },
    );
    expect(events.body.data.map((e: Body) => e.type)).toEqual(['subscription.started', 'charge.succeeded']);
    expect(events.body.data[1].data).toMatchObject({ charge_id: chargeId, cycle: 0, state: 'Captured', amount: '14.00', currency: 'USD' });

    // A repeat (the buyer reloads the return page) is the same subscription, and Amazon is not asked to complete again;
    // also with the id upper-cased (a merchant's framework may do that): the same session, named as Amazon writes it.
    const completesBefore = (await sim.control.requests()).counts.completeCheckoutSession ?? 0;
    const again = await complete(checkoutSessionId);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ created: false, chargeId, chargePermissionId, subscription: { id: 'co-paid' } });
    const upper = await complete(` ${checkoutSessionId.toUpperCase()}`);
    expect(upper.status, upper.text).toBe(200);
    expect(upper.body).toMatchObject({ created: false, checkoutSessionId, chargeId, chargePermissionId, subscription: { id: 'co-paid' } });
    expect([again.body.nextBillingAt, upper.body.nextBillingAt]).toEqual([done.body.nextBillingAt, done.body.nextBillingAt]);
    expect((await sim.control.requests()).counts.completeCheckoutSession ?? 0).toBe(completesBefore);
    expect(await simulatorCharges(chargePermissionId as string)).toHaveLength(1);
    // Also after the plan changed: a reload is that subscription, not a start with the checkout's old terms.
    const changed = await api.call<Body>('POST', '/v1/subscriptions/{id}/plan', {
      params: { id: 'co-paid' },
      body: { price: { amount: '16.00', currency: 'USD' } },
    });
    expect(changed.status, changed.text).toBe(200);
    const afterChange = await complete(checkoutSessionId);
    expect(afterChange.status, afterChange.text).toBe(200);
    // A plan change does not move the billing date: still cycle 1 of the checkout's terms.
    expect(afterChange.body).toMatchObject({
      created: false,
      chargeId,
      chargePermissionId,
      subscription: { id: 'co-paid' },
      nextBillingAt: done.body.nextBillingAt,
    });

    // The checkout of a started subscription cannot be made again.
    const recreate = await api.call<Body>('POST', '/v1/checkout-sessions', {
      body: {
        subscriptionId: 'co-paid',
        plan: { price: { amount: '15.00', currency: 'USD' }, interval: { unit: 'month' } },
        checkoutResultReturnUrl: RETURN_URL,
      },
    });
    expect(recreate.status).toBe(409);
    expect(recreate.body.detail).toMatch(/Subscription co-paid already exists/);
  });

  it('a checkout whose subscription ends with the cycle paid at checkout answers nextBillingAt null: nothing more is billed', async () => {
    const button = await createButton('co-one-cycle', { end: { afterCycles: 1 } });
    const { checkoutSessionId } = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig);
    const done = await complete(checkoutSessionId);
    expect(done.status, done.text).toBe(201);
    expect(done.body).toMatchObject({ chargeId: expect.any(String), nextBillingAt: null, subscription: { end: { afterCycles: 1 } } });
  });

  it('two concurrent completes of one session start one subscription; a second session of the same checkout is refused before Amazon Pay charges it', async () => {
    const button = await createButton('co-concurrent');
    const first = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig);
    // The same button clicked again (another tab): a second Checkout Session for the same subscription.
    const second = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig);
    // One of them sends the id upper-cased: still one session, one claim, one Complete key.
    const [a, b] = await Promise.all([complete(first.checkoutSessionId), complete(first.checkoutSessionId.toUpperCase())]);
    expect([a.status, b.status].sort(), `${a.text} ${b.text}`).toEqual([200, 201]);
    expect(a.body.subscription.id).toBe('co-concurrent');
    // The same subscription; its live fields (currentCycle, nextBillingAt) may have moved on between the two answers.
    const { id, chargePermissionId, firstChargeId, plan, anchor, createdAt } = a.body.subscription;
    expect(b.body).toMatchObject({
      chargePermissionId: a.body.chargePermissionId,
      chargeId: a.body.chargeId,
      subscription: { id, chargePermissionId, firstChargeId, plan, anchor, createdAt },
    });
    expect(await simulatorCharges(a.body.chargePermissionId as string)).toHaveLength(1);

    const refused = await complete(second.checkoutSessionId);
    expect(refused.status, refused.text).toBe(409);
    // Its own problem type, naming the subscription the first session started (a return page shows it: examples/storefront).
    expect(refused.body).toMatchObject({ type: `${PROBLEM}checkout-completed-by-another-session`, subscriptionId: 'co-concurrent' });
    expect(refused.body.detail).toMatch(new RegExp(`started \\(or being started\\) by Checkout Session ${first.checkoutSessionId}.*nothing was charged`));
    // Amazon Pay never completed the second session: no second Charge Permission, no second charge.
    const stillOpen = await amazon.getCheckoutSession(second.checkoutSessionId);
    expect(stillOpen.kind === 'ok' && stillOpen.body.statusDetails.state).toBe('Open');
    const rows = await eventually(
      () => listCharges(database.db, 'co-concurrent'),
      (r) => r.length > 0,
      { what: 'the checkout charge recorded' },
    );
    expect(rows.map((r) => [r.cycle, r.attempt, r.chargeId])).toEqual([[0, 0, a.body.chargeId]]);
  });

  it('a buyer who does not agree to save the payment method: OneTime, nothing started, the answer says why and what to do', async () => {
    const button = await createButton('co-onetime');
    const { checkoutSessionId } = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig, { save: false });
    const refused = await complete(checkoutSessionId);
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body.type).toBe(`${PROBLEM}one-time-charge-permission`);
    expect(refused.body.detail).toMatch(
      /did not agree to save the payment method.*OneTime Charge Permission.*was not started.*stands as a one-time payment.*checks out again/,
    );
    expect(refused.body.checkoutSession).toMatchObject({
      checkoutSessionId,
      state: 'Completed',
      chargePermissionId: expect.any(String),
      chargeId: expect.any(String),
    });
    expect(await getSubscription(database.db, 'co-onetime')).toBeUndefined();
    // The same answer again; and the buyer can check out again with a new session of the same checkout.
    expect((await complete(checkoutSessionId)).body.type).toBe(`${PROBLEM}one-time-charge-permission`);
    const retry = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig);
    const started = await complete(retry.checkoutSessionId);
    expect(started.status, started.text).toBe(201);
    expect(started.body.subscription).toMatchObject({ id: 'co-onetime', status: 'active' });
  });

  it('AmountMismatch, a session the buyer has not approved, a canceled one and one of another checkout each get a typed answer; nothing starts', async () => {
    const button = await createButton('co-refusals');
    const { checkoutSessionId } = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig);
    await sim.control.setInjectedErrors([
      {
        operation: 'completeCheckoutSession',
        id: checkoutSessionId,
        status: 409,
        reasonCode: 'AmountMismatch',
        message: 'chargeAmount does not match',
        times: 1,
      },
    ]);
    const mismatch = await complete(checkoutSessionId);
    expect(mismatch.status, mismatch.text).toBe(409);
    expect(mismatch.body).toMatchObject({ type: `${PROBLEM}checkout-amount-mismatch`, checkoutSession: { checkoutSessionId, state: 'Open' } });
    expect(mismatch.body.detail).toMatch(/answered AmountMismatch .* to the session's own amount 14\.00 USD; nothing was charged/);
    expect(await getSubscription(database.db, 'co-refusals')).toBeUndefined();
    // The refusal released nothing for good: once Amazon Pay takes the amount, the same session completes.
    const after = await complete(checkoutSessionId);
    expect(after.status, after.text).toBe(201);

    const unapproved = await createButton('co-unapproved');
    const page = await clickAmazonPayButton(sim.simulator.url, unapproved.button.createCheckoutSessionConfig);
    const openId = new URL(page).searchParams.get('amazonCheckoutSessionId')!;
    const notYet = await complete(openId);
    expect(notYet.status, notYet.text).toBe(409);
    expect(notYet.body).toMatchObject({ type: `${PROBLEM}checkout-session-not-completable`, checkoutSession: { state: 'Open' } });
    expect(notYet.body.detail).toMatch(/InvalidCheckoutSessionStatus.*the buyer has not approved the payment/);

    const canceledButton = await createButton('co-canceled');
    const canceled = await checkoutAsBuyer(sim.simulator.url, canceledButton.button.createCheckoutSessionConfig, { cancel: true });
    const gone = await complete(canceled.checkoutSessionId);
    expect(gone.status, gone.text).toBe(409);
    expect(gone.body).toMatchObject({ type: `${PROBLEM}checkout-session-canceled`, checkoutSession: { state: 'Canceled', reasonCode: 'BuyerCanceled' } });
    expect(gone.body.detail).toMatch(/canceled \(BuyerCanceled\): the buyer canceled/);

    // A session whose payload was not built by this daemon (another merchantReferenceId): 404, Amazon not asked to complete it.
    const foreign = JSON.parse(button.button.createCheckoutSessionConfig.payloadJSON as string);
    foreign.merchantMetadata.merchantReferenceId = 'someone-else';
    const other = await checkoutAsBuyer(sim.simulator.url, amazon.signButton(JSON.stringify(foreign)));
    const unknown = await complete(other.checkoutSessionId);
    expect(unknown.status, unknown.text).toBe(404);
    expect(unknown.body.detail).toMatch(/not made from a checkout of this daemon/);
    for (const id of ['co-unapproved', 'co-canceled']) expect(await getSubscription(database.db, id)).toBeUndefined();
  });

  it('a complete before the buyer approved (409) does not stick: once approved, completing again starts the subscription with one charge', async () => {
    // Amazon Pay replays a saved refusal to its idempotency key, so the complete after approval needs a new key.
    const button = await createButton('co-early');
    const page = await clickAmazonPayButton(sim.simulator.url, button.button.createCheckoutSessionConfig);
    const checkoutSessionId = new URL(page).searchParams.get('amazonCheckoutSessionId')!;
    const early = await complete(checkoutSessionId);
    expect(early.status, early.text).toBe(409);
    expect(early.body).toMatchObject({ type: `${PROBLEM}checkout-session-not-completable`, checkoutSession: { state: 'Open' } });
    const again = await complete(checkoutSessionId);
    expect(again.body.type, again.text).toBe(`${PROBLEM}checkout-session-not-completable`);
    expect((await getCheckout(database.db, 'co-early'))?.completeRefusals).toBe(2);

    await approveAsBuyer(page);
    const done = await complete(checkoutSessionId);
    expect(done.status, done.text).toBe(201);
    expect(done.body).toMatchObject({ created: true, checkoutSessionId, subscription: { id: 'co-early', status: 'active' } });
    expect(await simulatorCharges(done.body.chargePermissionId as string)).toHaveLength(1);
    // A repeat (the buyer reloads the return page) is the same subscription, nothing charged again.
    const repeat = await complete(checkoutSessionId);
    expect(repeat.status, repeat.text).toBe(200);
    expect(await simulatorCharges(done.body.chargePermissionId as string)).toHaveLength(1);
  });

  it("a checkout whose plan the permission's limits cannot hold is refused before Complete: nothing charged, the session stays Open", async () => {
    const button = await createButton('co-over-limit');
    const { checkoutSessionId } = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig);
    // Terms stored before today's limit check (or under a lower cap): 1,500.00 USD a month on a Recurring permission capped at 1,000.00.
    await database.db.execute(sql`update checkouts set terms = jsonb_set(terms, '{plan,amountMinor}', '"150000"') where subscription_id = 'co-over-limit'`);
    const refused = await complete(checkoutSessionId);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.detail).toMatch(
      /no longer start a subscription now \(plan\.amountMinor 1500\.00 USD per cycle is above the monthly limit of the Recurring Charge Permission the checkout creates \(1000\.00 USD per calendar month, Recurring\).*\); nothing was completed or charged/,
    );
    const session = await amazon.getCheckoutSession(checkoutSessionId);
    expect(session.kind === 'ok' ? session.body.statusDetails.state : session.kind).toBe('Open');
    expect(await getSubscription(database.db, 'co-over-limit')).toBeUndefined();
  });

  it('a subscription with the checkout id started another way meanwhile: refused before Complete, nothing charged, the session stays Open', async () => {
    const button = await createButton('co-taken');
    const { checkoutSessionId } = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig);
    const other = (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    const started = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('co-taken', other) });
    expect(started.status, started.text).toBe(201);
    const refused = await complete(checkoutSessionId);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.detail).toMatch(/^Subscription co-taken already exists, started without this checkout; .* nothing was charged/);
    const session = await amazon.getCheckoutSession(checkoutSessionId);
    expect(session.kind === 'ok' ? session.body.statusDetails.state : session.kind).toBe('Open');
    expect((await getSubscription(database.db, 'co-taken'))?.chargePermissionId).toBe(other);
  });

  it('a button needs the merchant ID: without AMAZON_PAY_MERCHANT_ID the library refuses in one line naming it, and stores nothing', async () => {
    const noMerchantId = createAmazonPayClient({ ...sim.amazonPay, merchantId: null });
    const library = createBillingClient({
      db: database.db,
      temporal: () => Promise.reject(new Error('a button needs no Temporal')),
      amazonPay: () => noMerchantId,
      environment: 'sandbox',
      taskQueues: uniqueTaskQueues(),
      policy: DEFAULT_BILLING_POLICY,
      now: () => new Date(),
    });
    try {
      const refused = await library
        .createCheckout({
          subscriptionId: 'co-no-merchant',
          plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } },
          checkoutResultReturnUrl: RETURN_URL,
        })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(refused).toBeInstanceOf(NotConfiguredError);
      expect(refused).toMatchObject({ setting: 'AMAZON_PAY_MERCHANT_ID' });
      expect((refused as Error).message).toMatch(/^The Amazon Pay button needs the merchant ID of your Amazon Pay account .*: set AMAZON_PAY_MERCHANT_ID$/);
      expect((refused as Error).message).not.toMatch(/\n/);
      expect(await getCheckout(database.db, 'co-no-merchant')).toBeUndefined();
    } finally {
      noMerchantId.close();
    }
  });

  it('validates the request: return URLs, plan, id, and the reserved account, naming each field', async () => {
    const bad = await api.call<Body>('POST', '/v1/checkout-sessions', {
      body: {
        subscriptionId: 'bad id!',
        plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month', count: 5000 } },
        zone: 'Mars/Olympus',
        checkoutResultReturnUrl: 'http://shop.example.com/return',
        checkoutCancelUrl: 'https://user:secret@shop.example.com/cancel',
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: Body) => e.field).sort()).toEqual(
      ['checkoutCancelUrl', 'checkoutResultReturnUrl', 'plan.interval.count', 'subscriptionId', 'zone'].sort(),
    );
    expect(bad.text).not.toContain('secret');
    // Only Amazon's Checkout Session id form is sent to Amazon Pay.
    const requestsBefore = (await sim.control.requests()).total;
    const notASession = await complete('S01-1234567-1234567');
    expect(notASession.status, notASession.text).toBe(422);
    expect(notASession.body.errors).toEqual([{ field: expect.any(String), message: expect.stringMatching(/a UUID such as .*in any letter case/) }]);
    expect((await sim.control.requests()).total).toBe(requestsBefore);
    // A plan the Recurring permission the checkout creates cannot hold: refused before the button exists, naming the limit.
    const aboveLimit = await api.call<Body>('POST', '/v1/checkout-sessions', {
      body: {
        subscriptionId: 'co-limit',
        plan: { price: { amount: '1500.00', currency: 'USD' }, interval: { unit: 'month' } },
        checkoutResultReturnUrl: RETURN_URL,
      },
    });
    expect(aboveLimit.status, aboveLimit.text).toBe(422);
    expect(aboveLimit.body.errors).toEqual([
      {
        field: 'plan.price.amount',
        message: expect.stringMatching(
          /^1500\.00 USD per cycle is above the monthly limit of the Recurring Charge Permission the checkout creates \(1000\.00 USD/,
        ),
      },
    ]);
    const account = await api.call<Body>('POST', '/v1/checkout-sessions', {
      body: {
        subscriptionId: 'co-acct',
        plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month' } },
        checkoutResultReturnUrl: RETURN_URL,
        account: 'eu',
      },
    });
    expect(account.status).toBe(422);
    expect(account.body.errors).toEqual([{ field: 'account', message: expect.stringMatching(/reserved/) }]);
    // A replacement checkout (replacesSubscriptionId, test/integration/checkout-replace.test.ts) names the API's fields too.
    const replacing = (subscriptionId: string, extra: Record<string, unknown>) =>
      api.call<Body>('POST', '/v1/checkout-sessions', {
        body: {
          subscriptionId,
          plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month' } },
          checkoutResultReturnUrl: RETURN_URL,
          ...extra,
        },
      });
    const unknown = await replacing('co-repl-1', { replacesSubscriptionId: 'co-nobody' });
    expect(unknown.status, unknown.text).toBe(422);
    expect(unknown.body.errors).toEqual([{ field: 'replacesSubscriptionId', message: expect.stringMatching(/^names no subscription \(got "co-nobody"\)/) }]);
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'EUR' });
    const euro = await api.call<Body>('POST', '/v1/subscriptions', {
      body: {
        id: 'co-repl-eur',
        chargePermissionId: chargePermission.chargePermissionId,
        plan: { price: { amount: '10.00', currency: 'EUR' }, interval: { unit: 'month' } },
        anchor: { localDateTime: DateTime.utc().plus({ days: 2 }).toFormat("yyyy-MM-dd'T'HH:mm"), zone: 'UTC' },
      },
    });
    expect(euro.status, euro.text).toBe(201);
    const currency = await replacing('co-repl-2', { replacesSubscriptionId: 'co-repl-eur' });
    expect(currency.status, currency.text).toBe(422);
    expect(currency.body.errors).toEqual([
      { field: 'plan.price.currency', message: expect.stringMatching(/^must be EUR, the currency of subscription co-repl-eur/) },
    ]);
    const trial = await replacing('co-repl-3', { replacesSubscriptionId: 'co-repl-eur', trial: { unit: 'day', count: 7 } });
    expect(trial.status, trial.text).toBe(422);
    expect(trial.body.errors.map((e: Body) => e.field)).toEqual(['trial']);
    await api.call<Body>('POST', '/v1/subscriptions/{id}/cancel', { params: { id: 'co-repl-eur' }, body: { mode: 'now' } });
    const ended = await eventually(
      () =>
        replacing('co-repl-4', { replacesSubscriptionId: 'co-repl-eur', plan: { price: { amount: '12.00', currency: 'EUR' }, interval: { unit: 'month' } } }),
      (r) => r.status === 409,
      { what: 'the replaced subscription ended' },
    );
    expect(ended.body).toMatchObject({
      type: `${PROBLEM}conflict`,
      detail: expect.stringMatching(
        /^Subscription co-repl-eur (has ended .*: a checkout replaces only an active or trialing subscription|is being stopped .*; a checkout does not replace a subscription with a stop recorded: start the new plan with a checkout without replacesSubscriptionId once it has ended)/,
      ),
    });
    const shape = await api.call<Body>('POST', '/v1/checkout-sessions/{id}/complete', { params: { id: 'x' }, body: { amount: '14.00' } });
    expect(shape.status).toBe(400);
  });

  it('a free trial: Confirm, nothing charged at checkout, the first cycle billed when the trial ends', async () => {
    const button = await createButton('co-trial', {
      plan: { price: { amount: '9.00', currency: 'USD' }, interval: { unit: 'hour' } },
      trial: { unit: 'second', count: 3 },
      softDescriptor: 'TEA CLUB',
      // Hourly 9.00 USD is 744 cycles in a month, above the permission's 1,000.00 USD monthly cap: three cycles in all fit it.
      end: { afterCycles: 3 },
    });
    expect(button).toMatchObject({ paymentIntent: 'Confirm', chargeAmount: null });
    const payload = JSON.parse(button.button.createCheckoutSessionConfig.payloadJSON as string);
    expect(payload.paymentDetails).toEqual({ paymentIntent: 'Confirm', presentmentCurrency: 'USD' });
    expect(payload.recurringMetadata).toEqual({ frequency: { unit: 'Variable', value: '0' }, amount: { amount: '9.00', currencyCode: 'USD' } });
    const { checkoutSessionId } = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig);
    const done = await complete(checkoutSessionId);
    expect(done.status, done.text).toBe(201);
    expect(done.body).toMatchObject({ chargeId: null, subscription: { status: 'trialing', firstChargeId: null, trial: { unit: 'second', count: 3 } } });
    // Nothing was paid at checkout: the next billing date is cycle 0, at the trial's end (3 s after the anchor).
    const { anchor } = done.body.subscription;
    expect(done.body.nextBillingAt).toBe(DateTime.fromISO(anchor.localDateTime, { zone: anchor.zone }).plus({ seconds: 3 }).toUTC().toISO());
    expect(await simulatorCharges(done.body.chargePermissionId as string)).toEqual([]);
    // The trial ends: cycle 0 is charged by the workflow (Create Charge, attempt 1).
    const ledger = await eventually(
      () => listCharges(database.db, 'co-trial'),
      (rows) => rows.some((r) => r.state === 'Captured'),
      { what: 'cycle 0 after the trial', timeoutMs: 30_000 },
    );
    expect(ledger.map((r) => [r.cycle, r.attempt, r.state, r.amountMinor])).toEqual([[0, 1, 'Captured', 900n]]);
    expect((await simulatorCharges(done.body.chargePermissionId as string)).map((c) => c.softDescriptor)).toEqual(['TEA CLUB']);
  });

  it('an Authorized first charge (paymentIntent Authorize) is recorded as Authorized, then captured; a pending one is waited for first', async () => {
    const button = await createButton('co-authorized', { canHandlePendingAuthorization: true, softDescriptor: 'COFFEE CLUB' });
    expect(button.paymentIntent).toBe('Authorize');
    const paymentDetails = JSON.parse(button.button.createCheckoutSessionConfig.payloadJSON as string).paymentDetails;
    expect(paymentDetails).toMatchObject({ paymentIntent: 'Authorize', canHandlePendingAuthorization: true });
    // Amazon takes softDescriptor at checkout only with AuthorizeWithCapture: the capture carries it instead.
    expect(paymentDetails.softDescriptor).toBeUndefined();
    // Capture is refused (503) for a while: the ledger shows what the charge is meanwhile.
    await sim.control.setInjectedErrors([{ operation: 'captureCharge', status: 503, reasonCode: 'ServiceUnavailable', times: null }]);
    try {
      const { checkoutSessionId } = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig);
      const done = await complete(checkoutSessionId);
      expect(done.status, done.text).toBe(201);
      const chargeId = done.body.chargeId as string;
      const held = await eventually(
        () => listCharges(database.db, 'co-authorized'),
        (rows) => rows.length === 1,
        { what: 'the checkout charge recorded' },
      );
      expect(held.map((r) => [r.cycle, r.attempt, r.chargeId, r.state])).toEqual([[0, 0, chargeId, 'Authorized']]);
      expect((await simulatorCharges(done.body.chargePermissionId as string)).map((c) => c.state)).toEqual(['Authorized']);
      await sim.control.setInjectedErrors([]);
      await eventually(
        () => listCharges(database.db, 'co-authorized'),
        (rows) => rows[0]?.state === 'Captured',
        { what: 'the capture recorded', timeoutMs: 60_000 },
      );
      expect((await simulatorCharges(done.body.chargePermissionId as string)).map((c) => [c.chargeId, c.state, c.softDescriptor])).toEqual([
        [chargeId, 'Captured', 'COFFEE CLUB'],
      ]);
      await eventually(
        () => getSubscription(database.db, 'co-authorized'),
        (row) => row?.currentCycle === 1 && row.status === 'active',
        { what: 'billing on at cycle 1' },
      );
    } finally {
      await sim.control.setInjectedErrors([]);
    }

    // Card …0701: the authorization is pending at Complete (202); the CHARGE IPN of its decision brings the capture.
    const pendingButton = await createButton('co-pending', { canHandlePendingAuthorization: true });
    const pending = await checkoutAsBuyer(sim.simulator.url, pendingButton.button.createCheckoutSessionConfig, { cardSuffix: '0701' });
    const done = await complete(pending.checkoutSessionId);
    expect(done.status, done.text).toBe(201);
    const chargeId = done.body.chargeId as string;
    await eventually(
      () => listCharges(database.db, 'co-pending'),
      (rows) => rows[0]?.state === 'AuthorizationInitiated',
      { what: 'the pending checkout charge recorded' },
    );
    await sim.control.resolveCharge(chargeId);
    await eventually(
      () => listCharges(database.db, 'co-pending'),
      (rows) => rows.length === 1 && rows[0]?.state === 'Captured',
      { what: 'the authorization captured', timeoutMs: 60_000 },
    );
    await untilCommittedEventsReadable(database.db);
    const events = await api.call<Body>('GET', '/v1/events', { query: { subscription: 'co-pending' } });
    expect(events.body.data.map((e: Body) => [e.type, e.data.state ?? null])).toEqual([
      ['subscription.started', null],
      ['charge.pending', 'AuthorizationInitiated'],
      ['charge.succeeded', 'Authorized'],
    ]);
  });

  it('a pending checkout charge Amazon declines later leaves cycle 0 unpaid: it waits for the payment method like any declined cycle, nothing captured', async () => {
    const button = await createButton('co-declined', { canHandlePendingAuthorization: true });
    const { checkoutSessionId } = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig, { cardSuffix: '4354' });
    const done = await complete(checkoutSessionId);
    expect(done.status, done.text).toBe(201);
    const chargeId = done.body.chargeId as string;
    await eventually(
      () => listCharges(database.db, 'co-declined'),
      (rows) => rows[0]?.state === 'AuthorizationInitiated',
      { what: 'the pending checkout charge recorded' },
    );
    await sim.control.resolveCharge(chargeId);
    const row = await eventually(
      () => getSubscription(database.db, 'co-declined'),
      (r) => r?.status === 'payment_method_required',
      { what: 'payment_method_required', timeoutMs: 60_000 },
    );
    expect(row).toMatchObject({ statusReason: 'HardDeclined', currentCycle: 0 });
    expect((await listCharges(database.db, 'co-declined')).map((r) => [r.cycle, r.attempt, r.chargeId, r.state, r.reasonCode])).toEqual([
      [0, 0, chargeId, 'Declined', 'HardDeclined'],
    ]);
    await untilCommittedEventsReadable(database.db);
    const events = await api.call<Body>('GET', '/v1/events', { query: { subscription: 'co-declined', type: 'charge.pending,charge.failed' } });
    expect(events.body.data.map((e: Body) => [e.type, e.data.decline ?? null])).toEqual([
      ['charge.pending', null],
      ['charge.failed', 'hard'],
    ]);
  });

  // Last: it moves the simulator's clock a day ahead.
  it('a session not completed within 24 hours has expired: 410, nothing starts', async () => {
    const button = await createButton('co-expired');
    const { checkoutSessionId } = await checkoutAsBuyer(sim.simulator.url, button.button.createCheckoutSessionConfig);
    await sim.control.advanceClock(25 * 3_600_000);
    const expired = await complete(checkoutSessionId);
    expect(expired.status, expired.text).toBe(410);
    expect(expired.body).toMatchObject({
      type: `${PROBLEM}checkout-session-expired`,
      checkoutSession: { state: 'Canceled', reasonCode: 'Expired', chargePermissionId: null },
    });
    expect(expired.body.detail).toMatch(/expired: it was not completed within 24 hours.*nothing was charged.*check out again/);
    expect(await getSubscription(database.db, 'co-expired')).toBeUndefined();
  });
});
