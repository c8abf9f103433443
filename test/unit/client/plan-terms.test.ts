// The buyer's terms through a plan change (client/subscriptions/plan-terms.ts): what PSD2 binds to a
// new checkout, the one-line refusal, and the recurringMetadata a permission gets.
import { describe, expect, it } from 'vitest';
import { CheckoutRequiredError } from '../../../client/errors.js';
import { assertChangeWithoutCheckout, psd2CheckoutReasons, recurringMetadataAsRead, recurringMetadataFor } from '../../../client/subscriptions/plan-terms.js';

const monthly = (amountMinor: string) => ({ amountMinor, currency: 'EUR', interval: { unit: 'month' as const, count: 1 } });

describe('plan terms', () => {
  it('PSD2 binds a higher amount and another frequency to a new checkout, not a lower amount', () => {
    expect(psd2CheckoutReasons(monthly('1000'), monthly('1200'))).toEqual(['HigherAmount']);
    expect(psd2CheckoutReasons(monthly('1000'), monthly('800'))).toEqual([]);
    expect(psd2CheckoutReasons(monthly('1000'), { ...monthly('1000'), interval: { unit: 'month', count: 2 } })).toEqual(['FrequencyChange']);
    expect(psd2CheckoutReasons(monthly('1000'), { ...monthly('1100'), interval: { unit: 'week', count: 1 } })).toEqual(['HigherAmount', 'FrequencyChange']);
  });

  it('refuses such a change only in region eu, in one line naming the reason and the re-checkout path', () => {
    expect(() => assertChangeWithoutCheckout('na', 'sub-1', 'S01-1234567-1234567', monthly('1000'), monthly('1200'))).not.toThrow();
    expect(() => assertChangeWithoutCheckout('eu', 'sub-1', 'S01-1234567-1234567', monthly('1000'), monthly('800'))).not.toThrow();
    const refusal = (() => {
      try {
        assertChangeWithoutCheckout('eu', 'sub-1', 'S01-1234567-1234567', monthly('1000'), monthly('1200'));
      } catch (error) {
        return error;
      }
    })() as CheckoutRequiredError;
    expect(refusal).toBeInstanceOf(CheckoutRequiredError);
    expect(refusal.reasons).toEqual(['HigherAmount']);
    expect(refusal.message).not.toMatch(/\n/);
    expect(refusal.message).toMatch(
      /^The plan change of subscription sub-1 \(10\.00 EUR every month → 12\.00 EUR every month\) was refused and nothing changed: .*EU\/UK region, where PSD2 lets a higher amount take effect only with the buyer's consent at a new checkout; create a checkout for the new plan with a new subscription id and replacesSubscriptionId sub-1 \(POST \/v1\/checkout-sessions\): it charges nothing at checkout, the new plan bills from this subscription's next billing date, and its complete stops sub-1 and closes its Charge Permission$/,
    );
  });

  it('says why a checkout cannot replace the subscription now instead of the replacement path, when one could not', () => {
    const blocked = 'Subscription sub-1 stops at the end of its period (StopRequested): leave replacesSubscriptionId out to start a new one';
    const refusal = (() => {
      try {
        assertChangeWithoutCheckout('eu', 'sub-1', 'S01-1234567-1234567', monthly('1000'), monthly('1200'), blocked);
      } catch (error) {
        return error;
      }
    })() as CheckoutRequiredError;
    expect(refusal).toBeInstanceOf(CheckoutRequiredError);
    expect(refusal.message).toMatch(
      /at a new checkout, but a checkout cannot replace it now: Subscription sub-1 stops at the end of its period \(StopRequested\): leave replacesSubscriptionId out to start a new one$/,
    );
    expect(refusal.message).not.toContain('replacesSubscriptionId sub-1');
  });

  it('states the plan as recurringMetadata; with other subscriptions on the permission, the shortest cycle and no amount', () => {
    expect(recurringMetadataFor(monthly('1250'), [])).toEqual({ frequency: { unit: 'Month', value: '1' }, amount: { amount: '12.50', currencyCode: 'EUR' } });
    const other = { subscriptionId: 'other', amountMinor: '300', currency: 'EUR', interval: { unit: 'week' as const, count: 2 } };
    expect(recurringMetadataFor(monthly('1250'), [other])).toEqual({ frequency: { unit: 'Week', value: '2' }, amount: null });
    expect(recurringMetadataAsRead({ frequency: null, amount: null })).toEqual({ amount: null });
  });
});
