import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { approvedSession, postBuyerPage, recurringSessionBody, STORE_ID } from './support/checkout.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

const HOUR = 3_600_000;
const create = (body: unknown, key = randomUUID().replace(/-/g, '')) => h!.api.call('POST', '/checkoutSessions', body, { idempotencyKey: key });
const get = (id: string) => h!.api.call('GET', `/checkoutSessions/${id}`);
const complete = (id: string, body: unknown, key?: string, simulationCode?: string) =>
  h!.api.call('POST', `/checkoutSessions/${id}/complete`, body, { ...(key ? { idempotencyKey: key } : {}), ...(simulationCode ? { simulationCode } : {}) });
const usd = (amount: string) => ({ amount, currencyCode: 'USD' });

describe('Create / Get / Update Checkout Session', () => {
  it('answers 201 with the 28 keys in Amazon order, an Open session that expires 24 h after creation', async () => {
    h = await startHarness();
    const res = await create(recurringSessionBody());
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual([
      'checkoutSessionId',
      'webCheckoutDetails',
      'productType',
      'paymentDetails',
      'chargePermissionType',
      'orderType',
      'recurringMetadata',
      'paymentMethodOnFileMetadata',
      'merchantDetails',
      'merchantMetadata',
      'supplementaryData',
      'buyer',
      'billingAddress',
      'paymentPreferences',
      'statusDetails',
      'shippingAddress',
      'platformId',
      'chargePermissionId',
      'chargeId',
      'constraints',
      'creationTimestamp',
      'expirationTimestamp',
      'storeId',
      'providerMetadata',
      'releaseEnvironment',
      'checkoutButtonText',
      'deliverySpecifications',
      'tokens',
    ]);
    expect(res.body.checkoutSessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(res.body.statusDetails).toMatchObject({ state: 'Open', reasonCode: null });
    expect([res.body.creationTimestamp, res.body.expirationTimestamp]).toEqual(['20250310T120000Z', '20250311T120000Z']);
    expect(res.body.constraints).toEqual([{ constraintId: 'BuyerNotAssociated', description: expect.any(String) }]);
    expect(res.body.webCheckoutDetails.amazonPayRedirectUrl).toBe(`${h.sim.url}/checkout/processing?amazonCheckoutSessionId=${res.body.checkoutSessionId}`);
    expect(res.body.recurringMetadata).toEqual({ frequency: { unit: 'Month', value: '1' }, amount: usd('9.99') });
    expect((await get(res.body.checkoutSessionId)).body).toEqual(res.body);
  });

  it('accepts amounts and frequency.value as JSON numbers (the .NET SDK sends them) and answers strings', async () => {
    h = await startHarness();
    const res = await create(
      recurringSessionBody({
        paymentDetails: { paymentIntent: 'Authorize', chargeAmount: { amount: 50, currencyCode: 'USD' } },
        recurringMetadata: { frequency: { unit: 'Week', value: 2 }, amount: { amount: 12.5, currencyCode: 'USD' } },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body.paymentDetails.chargeAmount).toEqual(usd('50.00'));
    expect(res.body.recurringMetadata).toEqual({ frequency: { unit: 'Week', value: '2' }, amount: usd('12.50') });
  });

  it('lists the merchant constraints and gives no amazonPayRedirectUrl until they are cleared by Update', async () => {
    h = await startHarness();
    const res = await create({
      storeId: STORE_ID,
      webCheckoutDetails: { checkoutReviewReturnUrl: 'https://shop.example/review' },
      chargePermissionType: 'Recurring',
    });
    expect(res.body.constraints.map((c: { constraintId: string }) => c.constraintId)).toEqual([
      'BuyerNotAssociated',
      'ChargeAmountNotSet',
      'CheckoutResultReturnUrlNotSet',
      'PaymentIntentNotSet',
      'RecurringFrequencyNotSet',
    ]);
    expect(res.body.webCheckoutDetails.amazonPayRedirectUrl).toBeNull();
    const id = res.body.checkoutSessionId;
    const updated = await h.api.call('PATCH', `/checkoutSessions/${id}`, {
      webCheckoutDetails: { checkoutResultReturnUrl: 'https://shop.example/result' },
      paymentDetails: { paymentIntent: 'Confirm' },
      recurringMetadata: { frequency: { unit: 'Month', value: '1' }, amount: null },
    });
    expect(updated.status).toBe(200);
    // Confirm + recurringMetadata needs no chargeAmount (a free trial); the review URL is kept.
    expect(updated.body.constraints.map((c: { constraintId: string }) => c.constraintId)).toEqual(['BuyerNotAssociated']);
    expect(updated.body.webCheckoutDetails).toMatchObject({
      checkoutReviewReturnUrl: 'https://shop.example/review',
      amazonPayRedirectUrl: expect.stringContaining(id),
    });
  });

  it.each([
    [{ webCheckoutDetails: { checkoutReviewReturnUrl: 'https://x.example/r' } }, 400, 'MissingParameterValue', /storeId is missing/],
    [{ storeId: STORE_ID }, 400, 'MissingParameterValue', /checkoutReviewReturnUrl is required/],
    [
      { storeId: 'my-store', webCheckoutDetails: { checkoutReviewReturnUrl: 'https://x.example/r' } },
      400,
      'InvalidParameterValue',
      /amzn1\.application-oa2-client\./,
    ],
    [{ storeId: STORE_ID, webCheckoutDetails: { checkoutReviewReturnUrl: 'http://shop.example/r' } }, 400, 'InvalidParameterValue', /must be an https URL/],
    [{ storeId: STORE_ID, webCheckoutDetails: { checkoutReviewReturnUrl: 'https://x.example/r' }, colour: 'red' }, 400, 'UnrecognizedField', /colour/],
    [
      recurringSessionBody({ paymentDetails: { paymentIntent: 'Pay' } }),
      400,
      'InvalidParameterValue',
      /paymentIntent must be one of Confirm, Authorize, AuthorizeWithCapture/,
    ],
    [recurringSessionBody({ chargePermissionType: 'Forever' }), 400, 'InvalidParameterValue', /OneTime, Recurring, PaymentMethodOnFile/],
    [
      recurringSessionBody({ recurringMetadata: { frequency: { unit: 'Fortnight', value: '1' } } }),
      400,
      'InvalidParameterValue',
      /unit ∈ Year\|Month\|Week\|Day\|Variable/,
    ],
    [recurringSessionBody({ recurringMetadata: { frequency: { unit: 'Month', value: '0' } } }), 400, 'InvalidParameterValue', /"0" with Variable/],
    [recurringSessionBody({ paymentDetails: { paymentIntent: 'Authorize', chargeAmount: usd('-1') } }), 400, 'InvalidParameterValue', /chargeAmount\.amount/],
    [recurringSessionBody({ chargePermissionType: 'OneTime' }), 400, 'InvalidParameterCombination', /recurringMetadata needs chargePermissionType Recurring/],
    [
      recurringSessionBody({ paymentDetails: { paymentIntent: 'AuthorizeWithCapture', canHandlePendingAuthorization: true, chargeAmount: usd('1') } }),
      400,
      'InvalidParameterCombination',
      /canHandlePendingAuthorization/,
    ],
    [
      recurringSessionBody({ paymentDetails: { paymentIntent: 'Authorize', chargeAmount: { amount: '9.99', currencyCode: 'EUR' } } }),
      400,
      'CurrencyMismatch',
      /EUR, USD/,
    ],
    [recurringSessionBody({ deliverySpecifications: {} }), 400, 'InvalidParameterValue', /PayOnly/],
  ])('refuses an invalid body %#', async (body, status, reasonCode, message) => {
    h = await startHarness();
    const res = await create(body);
    expect([res.status, res.body.reasonCode]).toEqual([status, reasonCode]);
    expect(res.body.message).toMatch(message);
    expect(h.sim.runtime.engine.state.checkoutSessions).toEqual({});
  });

  it('needs an idempotency key on Create and replays the same session for the same key and body', async () => {
    h = await startHarness();
    const missing = await h.api.call('POST', '/checkoutSessions', recurringSessionBody());
    expect([missing.status, missing.body.reasonCode]).toEqual([400, 'MissingHeader']);
    const first = await create(recurringSessionBody(), 'same-key');
    const again = await create(recurringSessionBody(), 'same-key');
    expect(again.body.checkoutSessionId).toBe(first.body.checkoutSessionId);
    expect((await create(recurringSessionBody({ platformId: 'x' }), 'same-key')).body.reasonCode).toBe('DuplicateIdempotencyKey');
  });

  it('answers 404 ResourceNotFound for an unknown session, and once 30 days have passed', async () => {
    h = await startHarness();
    expect((await get('00000000-0000-0000-0000-000000000000')).body.reasonCode).toBe('ResourceNotFound');
    const id = (await create(recurringSessionBody())).body.checkoutSessionId;
    h.clock.advance(30 * 24 * HOUR);
    expect((await get(id)).status).toBe(404);
  });
});

describe('Complete Checkout Session', () => {
  it('Recurring + consent + AuthorizeWithCapture → Recurring Charge Permission with recurringMetadata and a Captured first charge', async () => {
    h = await startHarness();
    const id = await approvedSession(h, recurringSessionBody());
    const res = await complete(id, { chargeAmount: usd('9.99') });
    expect(res.status).toBe(200);
    expect(res.body.statusDetails).toMatchObject({ state: 'Completed', reasonCode: null });
    expect(res.body).toMatchObject({ chargePermissionType: 'Recurring', expirationTimestamp: null, buyer: null, constraints: [] });
    const cp = await h.api.call('GET', `/chargePermissions/${res.body.chargePermissionId}`);
    expect(cp.body).toMatchObject({
      chargePermissionType: 'Recurring',
      recurringMetadata: { frequency: { unit: 'Month', value: '1' }, amount: usd('9.99') },
      merchantMetadata: { merchantStoreName: 'Tea Club', merchantReferenceId: 'order-42' },
      presentmentCurrency: 'USD',
      statusDetails: { state: 'Chargeable' },
    });
    const charge = await h.api.call('GET', `/charges/${res.body.chargeId}`);
    expect(charge.body).toMatchObject({
      chargePermissionId: res.body.chargePermissionId,
      chargeAmount: usd('9.99'),
      captureAmount: usd('9.99'),
      statusDetails: { state: 'Captured' },
    });
  });

  it('a buyer who does not consent to saving gets a OneTime Charge Permission limited to the order', async () => {
    h = await startHarness();
    const id = await approvedSession(h, recurringSessionBody(), { cardSuffix: '1111', save: 'no' });
    const res = await complete(id, { chargeAmount: usd('9.99') });
    expect(res.body.chargePermissionType).toBe('OneTime');
    const cp = await h.api.call('GET', `/chargePermissions/${res.body.chargePermissionId}`);
    expect(cp.body).toMatchObject({ chargePermissionType: 'OneTime', limits: { amountLimit: usd('9.99') } });
  });

  it('Authorize → Authorized charge; Confirm → no charge; pending authorization → 202 AuthorizationInitiated', async () => {
    h = await startHarness();
    const authorize = await approvedSession(h, recurringSessionBody({ paymentDetails: { paymentIntent: 'Authorize', chargeAmount: usd('5.00') } }));
    const a = await complete(authorize, { chargeAmount: usd('5.00') });
    expect((await h.api.call('GET', `/charges/${a.body.chargeId}`)).body.statusDetails.state).toBe('Authorized');

    const confirm = await approvedSession(
      h,
      recurringSessionBody({ paymentDetails: { paymentIntent: 'Confirm' }, recurringMetadata: { frequency: { unit: 'Month', value: '1' } } }),
    );
    const c = await complete(confirm, undefined);
    expect([c.status, c.body.chargeId, typeof c.body.chargePermissionId]).toEqual([200, null, 'string']);

    const pending = await approvedSession(
      h,
      recurringSessionBody({ paymentDetails: { paymentIntent: 'Authorize', canHandlePendingAuthorization: true, chargeAmount: usd('5.00') } }),
      {
        cardSuffix: '0701',
        save: 'yes',
      },
    );
    const p = await complete(pending, { chargeAmount: usd('5.00') });
    expect(p.status).toBe(202);
    expect((await h.api.call('GET', `/charges/${p.body.chargeId}`)).body.statusDetails.state).toBe('AuthorizationInitiated');
  });

  it('AmountMismatch (409) unless the amount equals the session’s exactly; CurrencyMismatch for another currency; nothing is created', async () => {
    h = await startHarness();
    const id = await approvedSession(h, recurringSessionBody());
    for (const amount of ['9.98', '10.00', '9.991']) {
      const res = await complete(id, { chargeAmount: usd(amount) });
      expect(res.status, amount).toBe(amount === '9.991' ? 400 : 409);
    }
    expect((await complete(id, { chargeAmount: { amount: '9.99', currencyCode: 'EUR' } })).body.reasonCode).toBe('CurrencyMismatch');
    expect((await complete(id, {})).body.reasonCode).toBe('MissingParameterValue');
    expect(h.sim.runtime.engine.state.chargePermissions).toEqual({});
    expect((await get(id)).body.statusDetails.state).toBe('Open');
    // 9.990 is the same amount written differently; a number works too.
    expect((await complete(id, { chargeAmount: { amount: 9.99, currencyCode: 'USD' } })).status).toBe(200);
  });

  it('a second Complete: 422 InvalidCheckoutSessionStatus without a key, the saved 200 with the same key and body', async () => {
    h = await startHarness();
    const id = await approvedSession(h, recurringSessionBody());
    const first = await complete(id, { chargeAmount: usd('9.99') }, 'complete-1');
    const replay = await complete(id, { chargeAmount: usd('9.99') }, 'complete-1');
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    const again = await complete(id, { chargeAmount: usd('9.99') });
    expect([again.status, again.body.reasonCode]).toEqual([422, 'InvalidCheckoutSessionStatus']);
    expect(again.body.message).toContain(first.body.chargePermissionId);
    expect(Object.keys(h.sim.runtime.engine.state.charges)).toHaveLength(1);
    const update = await h.api.call('PATCH', `/checkoutSessions/${id}`, { merchantMetadata: { merchantReferenceId: 'x' } });
    expect([update.status, update.body.reasonCode]).toEqual([422, 'InvalidCheckoutSessionStatus']);
  });

  it('refuses Complete before the buyer approved, and Update after', async () => {
    h = await startHarness();
    const created = await create(recurringSessionBody());
    const early = await complete(created.body.checkoutSessionId, { chargeAmount: usd('9.99') });
    expect([early.status, early.body.reasonCode]).toEqual([422, 'InvalidCheckoutSessionStatus']);
    const id = await approvedSession(h, recurringSessionBody());
    expect((await h.api.call('PATCH', `/checkoutSessions/${id}`, { paymentDetails: { chargeAmount: usd('1.00') } })).body.reasonCode).toBe(
      'InvalidCheckoutSessionStatus',
    );
  });

  it('an Open session not completed within 24 hours (simulator clock) becomes Canceled/Expired; Complete then answers 422', async () => {
    h = await startHarness();
    const id = await approvedSession(h, recurringSessionBody());
    h.clock.advance(24 * HOUR - 1000);
    expect((await get(id)).body.statusDetails.state).toBe('Open');
    h.clock.advance(1000);
    const expired = await get(id);
    expect(expired.body.statusDetails).toMatchObject({ state: 'Canceled', reasonCode: 'Expired', lastUpdatedTimestamp: '20250311T120000Z' });
    expect(expired.body.expirationTimestamp).toBeNull();
    const res = await complete(id, { chargeAmount: usd('9.99') });
    expect([res.status, res.body.reasonCode]).toEqual([422, 'InvalidCheckoutSessionStatus']);
  });

  it('buyer cancel on the page → Canceled/BuyerCanceled; the first Complete says CheckoutSessionCanceled, later ones 422', async () => {
    h = await startHarness();
    const created = await create(
      recurringSessionBody({
        webCheckoutDetails: {
          checkoutReviewReturnUrl: 'https://shop.example/r',
          checkoutResultReturnUrl: 'https://shop.example/done',
          checkoutCancelUrl: 'https://shop.example/cancel#top',
        },
      }),
    );
    const id = created.body.checkoutSessionId;
    const posted = await postBuyerPage(created.body.webCheckoutDetails.amazonPayRedirectUrl, { action: 'cancel' });
    expect([posted.status, posted.location]).toEqual([303, `https://shop.example/cancel?amazonCheckoutSessionId=${id}#top`]);
    expect((await get(id)).body.statusDetails).toMatchObject({ state: 'Canceled', reasonCode: 'BuyerCanceled' });
    expect((await complete(id, { chargeAmount: usd('9.99') })).body.reasonCode).toBe('CheckoutSessionCanceled');
    expect((await complete(id, { chargeAmount: usd('9.99') })).body.reasonCode).toBe('InvalidCheckoutSessionStatus');
  });

  it.each([
    ['3434', undefined, 'Declined'],
    ['3064', undefined, 'BuyerCanceled'],
    ['4354', undefined, 'Declined'],
    ['1111', 'AmazonCanceled', 'AmazonCanceled'],
  ])('sandbox card %s / simulation code %s end the checkout Canceled/%s at Complete, with no Charge Permission', async (cardSuffix, code, reason) => {
    h = await startHarness();
    const id = await approvedSession(h, recurringSessionBody(), { cardSuffix, save: 'yes' });
    const res = await complete(id, { chargeAmount: usd('9.99') }, undefined, code);
    expect([res.status, res.body.reasonCode]).toEqual([400, 'CheckoutSessionCanceled']);
    expect((await get(id)).body.statusDetails).toMatchObject({ state: 'Canceled', reasonCode: reason });
    expect(h.sim.runtime.engine.state.chargePermissions).toEqual({});
  });
});
