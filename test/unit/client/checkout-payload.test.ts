// The Checkout Session payload the button carries (client/checkout/payload.ts), the return URL
// rule, and what Checkout Sessions and Complete's answers mean (amazonpay/checkout-outcomes.ts).
import { describe, expect, it } from 'vitest';
import { checkoutSessionStanding, completeDecisionOf } from '../../../amazonpay/checkout-outcomes.js';
import { classifyResponse } from '../../../amazonpay/outcomes.js';
import type { CheckoutSession } from '../../../amazonpay/types.js';
import { checkoutPayload, frequencyOf, paymentIntentFor, validateReturnUrl, type CheckoutTerms } from '../../../client/checkout/payload.js';

const terms = (overrides: Partial<CheckoutTerms> = {}): CheckoutTerms => ({
  plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } },
  zone: 'UTC',
  paymentIntent: 'AuthorizeWithCapture',
  ...overrides,
});

describe('checkoutPayload', () => {
  it('states the plan in recurringMetadata and pays cycle 0 at checkout', () => {
    const payload = checkoutPayload({
      storeId: 'amzn1.application-oa2-client.abc',
      subscriptionId: 'sub-1',
      terms: terms({ softDescriptor: 'SHOP', merchantMetadata: { merchantStoreName: 'Shop' } }),
      checkoutResultReturnUrl: 'https://shop.example/return',
      checkoutCancelUrl: 'https://shop.example/cancel',
    });
    expect(payload).toEqual({
      storeId: 'amzn1.application-oa2-client.abc',
      webCheckoutDetails: {
        checkoutMode: 'ProcessOrder',
        checkoutResultReturnUrl: 'https://shop.example/return',
        checkoutCancelUrl: 'https://shop.example/cancel',
      },
      chargePermissionType: 'Recurring',
      recurringMetadata: { frequency: { unit: 'Month', value: '1' }, amount: { amount: '14.00', currencyCode: 'USD' } },
      paymentDetails: {
        paymentIntent: 'AuthorizeWithCapture',
        chargeAmount: { amount: '14.00', currencyCode: 'USD' },
        presentmentCurrency: 'USD',
        softDescriptor: 'SHOP',
      },
      merchantMetadata: { merchantStoreName: 'Shop', merchantReferenceId: 'sub-1' },
    });
  });

  it('Confirm (a trial) charges nothing: no chargeAmount, no softDescriptor; Authorize allows pending authorizations', () => {
    const base = { storeId: 's', subscriptionId: 'sub-2', checkoutResultReturnUrl: 'https://x.example/' };
    expect(checkoutPayload({ ...base, terms: terms({ paymentIntent: 'Confirm', softDescriptor: 'SHOP' }) }).paymentDetails).toEqual({
      paymentIntent: 'Confirm',
      presentmentCurrency: 'USD',
    });
    expect(checkoutPayload({ ...base, terms: terms({ paymentIntent: 'Authorize', softDescriptor: 'SHOP' }) }).paymentDetails).toEqual({
      paymentIntent: 'Authorize',
      chargeAmount: { amount: '14.00', currencyCode: 'USD' },
      presentmentCurrency: 'USD',
      canHandlePendingAuthorization: true,
    });
    expect(
      checkoutPayload({ ...base, terms: terms({ plan: { amountMinor: '500', currency: 'JPY', interval: { unit: 'week', count: 2 } } }) }).recurringMetadata,
    ).toEqual({
      frequency: { unit: 'Week', value: '2' },
      amount: { amount: '500', currencyCode: 'JPY' },
    });
  });

  it.each([
    [
      { unit: 'day', count: 3 },
      { unit: 'Day', value: '3' },
    ],
    [
      { unit: 'year', count: 1 },
      { unit: 'Year', value: '1' },
    ],
    [
      { unit: 'minute', count: 5 },
      { unit: 'Variable', value: '0' },
    ],
  ] as const)('frequency of %j is %j', (interval, frequency) => {
    expect(frequencyOf(interval)).toEqual(frequency);
  });

  it('payment intent: Confirm with a trial, else AuthorizeWithCapture, or Authorize with pending authorizations', () => {
    expect(paymentIntentFor({ trial: true, canHandlePendingAuthorization: true })).toBe('Confirm');
    expect(paymentIntentFor({ trial: false, canHandlePendingAuthorization: false })).toBe('AuthorizeWithCapture');
    expect(paymentIntentFor({ trial: false, canHandlePendingAuthorization: true })).toBe('Authorize');
  });
});

describe('validateReturnUrl', () => {
  it.each(['https://shop.example/return?x=1', 'http://localhost:3000/return', 'http://127.0.0.1/r'])('takes %s in the sandbox', (url) => {
    expect(validateReturnUrl(url, 'u', 'sandbox')).toEqual([]);
  });
  it.each(['http://localhost:3000/return', 'http://shop.example/return', 'ftp://shop.example/', 'return', `https://x.example/${'a'.repeat(1024)}`])(
    'refuses %s in live',
    (url) => {
      expect(validateReturnUrl(url, 'u', 'live')).toEqual([
        { field: 'u', message: expect.stringMatching(/^must be an absolute https URL of your site, at most 1024/) },
      ]);
    },
  );
  it('never repeats a password it refuses', () => {
    const [problem] = validateReturnUrl('https://user:hunter2@shop.example/return', 'u', 'sandbox');
    expect(problem?.message).toMatch(/without user name or password, got "https:\/\/user:\*\*\*@shop\.example\/return"/);
  });
});

const session = (status: CheckoutSession['statusDetails'], extra: Partial<CheckoutSession> = {}): CheckoutSession => ({
  checkoutSessionId: 'cs-1',
  statusDetails: status,
  ...extra,
});
const at = '20260101T000000Z';

describe('amazonpay/checkout-outcomes.ts', () => {
  it('reads where a session stands', () => {
    expect(checkoutSessionStanding(session({ state: 'Open', reasonCode: null, reasonDescription: null, lastUpdatedTimestamp: at }))).toEqual({ state: 'open' });
    expect(checkoutSessionStanding(session({ state: 'Canceled', reasonCode: 'Expired', reasonDescription: null, lastUpdatedTimestamp: at }))).toEqual({
      state: 'expired',
    });
    expect(checkoutSessionStanding(session({ state: 'Canceled', reasonCode: 'Declined', reasonDescription: null, lastUpdatedTimestamp: at }))).toEqual({
      state: 'canceled',
      reasonCode: 'Declined',
    });
    expect(
      checkoutSessionStanding(
        session({ state: 'Completed', reasonCode: null, reasonDescription: null, lastUpdatedTimestamp: at }, { chargePermissionId: 'C01-1', chargeId: null }),
      ),
    ).toEqual({ state: 'completed', chargePermissionId: 'C01-1', chargeId: null });
    expect(checkoutSessionStanding(session({ state: 'Completed', reasonCode: null, reasonDescription: null, lastUpdatedTimestamp: at })).state).toBe('unknown');
  });

  it.each([
    [409, 'AmountMismatch', 'amount_mismatch'],
    [400, 'CurrencyMismatch', 'amount_mismatch'],
    [422, 'InvalidCheckoutSessionStatus', 'invalid_status'],
    [400, 'CheckoutSessionCanceled', 'canceled'],
    [404, 'ResourceNotFound', 'not_found'],
    [429, 'TooManyRequests', 'retry'],
    [503, 'ServiceUnavailable', 'retry'],
    [403, 'InvalidRequestSignature', 'failed'],
  ] as const)('Complete answered HTTP %i %s: %s', (status, reasonCode, kind) => {
    const outcome = classifyResponse('completeCheckoutSession', status, JSON.stringify({ reasonCode, message: 'm' }), undefined);
    expect(completeDecisionOf(outcome as never).kind).toBe(kind);
  });
});
