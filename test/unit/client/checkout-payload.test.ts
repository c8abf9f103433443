// The Checkout Session payload the button carries (client/checkout/payload.ts), the return URL
// rule, and what Checkout Sessions and Complete's answers mean (amazonpay/checkout-outcomes.ts).
import { describe, expect, it } from 'vitest';
import { checkoutSessionStanding, completeDecisionOf } from '../../../amazonpay/checkout-outcomes.js';
import { classifyResponse } from '../../../amazonpay/outcomes.js';
import type { CheckoutSession } from '../../../amazonpay/types.js';
import { readFileSync } from 'node:fs';
import {
  checkoutPayload,
  frequencyOf,
  LOOPBACK_HOSTS,
  paymentIntentFor,
  returnUrlRule,
  signedReturnUrl,
  validateReturnUrl,
  type CheckoutTerms,
} from '../../../client/checkout/payload.js';
import { checkCheckoutInput } from '../../../client/checkout/create.js';

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
  // Checked parsed, signed raw was the defect: the parser reads "https:///r" as host "r".
  it.each([
    'https:///r',
    'https:r',
    'https:/shop.example/r',
    'https:\\\\shop.example/r',
    'https://r/',
    ' https://shop.example/r',
    'https://shop.example/r\tx',
    'https://shop.example/a b',
  ])('refuses %j: not written as scheme://host with a real host, or with characters the parser drops', (url) => {
    expect(validateReturnUrl(url, 'u', 'sandbox')).toEqual([{ field: 'u', message: expect.stringMatching(/^must be an absolute https URL of your site/) }]);
  });

  it('refuses a URL that already carries amazonCheckoutSessionId (Amazon Pay appends its own)', () => {
    const [problem, ...more] = validateReturnUrl('https://shop.example/r?amazonCheckoutSessionId=bd504926-f659-4ad7-a1a9-9a747aaf5275', 'u', 'sandbox');
    expect(more).toEqual([]);
    expect(problem?.message).toMatch(/Amazon Pay appends amazonCheckoutSessionId itself, got/);
    expect(validateReturnUrl('https://shop.example/r?session=1#amazonCheckoutSessionId', 'u', 'sandbox')).toEqual([]);
  });

  it("signs the value it validated: the parser's serialisation", () => {
    expect(signedReturnUrl('HTTPS://Shop.Example:443/r?x=1')).toBe('https://shop.example/r?x=1');
    expect(signedReturnUrl('http://localhost:8080/shop/return?order=1')).toBe('http://localhost:8080/shop/return?order=1');
    expect(signedReturnUrl('https://shop.example')).toBe('https://shop.example/');
  });

  it('takes http to every loopback host it names, and names every one it takes (code, message, OpenAPI text, docs agree)', () => {
    expect(LOOPBACK_HOSTS).toEqual(['localhost', '127.0.0.1', '[::1]']);
    for (const host of LOOPBACK_HOSTS) {
      expect(validateReturnUrl(`http://${host}:3000/r`, 'u', 'sandbox')).toEqual([]);
      expect(validateReturnUrl(`http://${host}:3000/r`, 'u', 'live')).toHaveLength(1);
    }
    const [refused] = validateReturnUrl('http://shop.example/r', 'u', 'sandbox');
    expect(refused?.message).toContain('(http only to localhost, 127.0.0.1 or [::1] in the sandbox)');
    expect(returnUrlRule('any')).toContain('localhost, 127.0.0.1 or [::1]');
    const docs = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(docs).toContain('only to localhost, 127.0.0.1 or [::1] in the sandbox');
    const simulatorDocs = readFileSync(new URL('../../../docs/simulator-checkout.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(simulatorDocs).toContain('http to localhost, 127.0.0.1 or [::1] in Sandbox');
  });

  it('the button signs the normalised return URLs', () => {
    const context = { environment: 'sandbox' as const, now: new Date('2026-01-01T00:00:00Z'), usePendingAuthorization: false };
    const input = {
      subscriptionId: 'sub-n',
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month' as const, count: 1 } },
      checkoutResultReturnUrl: 'HTTPS://Shop.Example/return',
    };
    expect(() => checkCheckoutInput(input, context)).not.toThrow();
    expect(() => checkCheckoutInput({ ...input, checkoutResultReturnUrl: 'https:///return' }, context)).toThrow(
      /checkoutResultReturnUrl must be an absolute https URL/,
    );
  });

  it('refuses canHandlePendingAuthorization true with a trial (Confirm charges nothing); false or left out is fine', () => {
    const context = { environment: 'sandbox' as const, now: new Date('2026-01-01T00:00:00Z'), usePendingAuthorization: true };
    const input = {
      subscriptionId: 'sub-t',
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month' as const, count: 1 } },
      trial: { unit: 'day' as const, count: 14 },
      checkoutResultReturnUrl: 'https://shop.example/return',
    };
    expect(checkCheckoutInput(input, context).paymentIntent).toBe('Confirm');
    expect(checkCheckoutInput({ ...input, canHandlePendingAuthorization: false }, context).paymentIntent).toBe('Confirm');
    expect(() => checkCheckoutInput({ ...input, canHandlePendingAuthorization: true }, context)).toThrow(
      /^canHandlePendingAuthorization cannot be true with a trial: a trial checkout is paymentIntent Confirm, which charges nothing/,
    );
  });

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
