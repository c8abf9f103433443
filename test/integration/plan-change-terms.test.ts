// Issue 18, "the buyer's terms stay true", on the real stack (Temporal dev server, PostgreSQL, the
// Amazon Pay simulator, the product's workers): a plan change updates the Charge Permission's
// recurringMetadata with Update Charge Permission in NA; in the EU/UK region (PSD2) a higher amount
// or another frequency is refused before Amazon Pay or the subscription hears of it; a refusal by
// Amazon Pay leaves the subscription unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AmazonPayClient } from '../../amazonpay/client.js';
import type { BillingClient } from '../../client/index.js';
import { ChargePermissionNotChargeableError, CheckoutRequiredError } from '../../client/errors.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { amazonPayInRegion, billingClientOf, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { newPermission } from '../support/subscriptions.js';

describe.concurrent("plan changes keep the buyer's terms on the Charge Permission", () => {
  let h: BillingHarness;
  let na: BillingClient;
  let eu: BillingClient;
  let euAmazonPay: AmazonPayClient;

  beforeAll(async () => {
    h = await startBillingHarness();
    na = billingClientOf(h);
    // The same merchant key and simulator, as a merchant account in Amazon Pay's EU region (x-amz-pay-region: eu).
    euAmazonPay = amazonPayInRegion(h, 'eu');
    eu = billingClientOf(h, euAmazonPay);
  });
  afterAll(async () => {
    euAmazonPay?.close();
    await h?.close();
  });

  const start = (billing: BillingClient, id: string, chargePermissionId: string, amountMinor: string, currency: string) =>
    billing.startSubscription({
      id,
      chargePermissionId,
      plan: { amountMinor, currency, interval: { unit: 'month', count: 1 } },
      anchor: { localDateTime: '2031-01-15T09:00', zone: 'Europe/Berlin' },
    });
  const permission = (id: string) => h.control.getChargePermission(id);
  const rowPlan = async (id: string) => {
    const row = await getSubscription(h.database.db, id);
    return [row?.amountMinor.toString(), row?.intervalUnit, row?.intervalCount];
  };

  it('NA: Update Charge Permission states the new plan (frequency and amount) before the subscription bills it', async () => {
    const cp = await newPermission(h, 'USD');
    await start(na, 'terms-na', cp, '1400', 'USD');
    const changed = await na.changePlan('terms-na', { amountMinor: '1900', interval: { unit: 'week', count: 2 } });
    expect(changed).toMatchObject({ amountMinor: '1900', interval: { unit: 'week', count: 2 } });
    const { chargePermission, recurringUpdates } = await permission(cp);
    expect(chargePermission.recurringMetadata).toEqual({ frequency: { unit: 'Week', value: '2' }, amount: { amount: '19.00', currencyCode: 'USD' } });
    expect(recurringUpdates).toEqual([
      expect.objectContaining({ region: 'na', to: { frequency: { unit: 'Week', value: '2' }, amountMinor: '1900' }, needsCheckoutUnderPsd2: false }),
    ]);
    expect(await rowPlan('terms-na')).toEqual(['1900', 'week', 2]);
    await na.stopSubscription('terms-na');
  }, 60_000);

  it('NA: when Amazon Pay refuses the update (the permission is Closed), the subscription keeps its plan', async () => {
    const cp = await newPermission(h, 'USD');
    await start(na, 'terms-closed', cp, '1400', 'USD');
    await h.control.closeChargePermission(cp, 'buyer');
    const refusal = await na.changePlan('terms-closed', { amountMinor: '1900' }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ChargePermissionNotChargeableError);
    expect(String((refusal as Error).message)).toMatch(/Amazon Pay refused to update its recurringMetadata \(ChargePermissionNotModifiable/);
    expect(await rowPlan('terms-closed')).toEqual(['1400', 'month', 1]);
    await na.stopSubscription('terms-closed');
  }, 60_000);

  it('EU/UK: a higher amount or another frequency is refused (PSD2: a new checkout), nothing changed anywhere; a lower amount is updated', async () => {
    const cp = await newPermission(h, 'EUR');
    await start(eu, 'terms-eu', cp, '1000', 'EUR');
    for (const change of [{ amountMinor: '1200' }, { interval: { unit: 'week' as const, count: 1 } }]) {
      const refusal = await eu.changePlan('terms-eu', change).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(CheckoutRequiredError);
      expect(String((refusal as Error).message)).toMatch(
        /was refused and nothing changed: .*EU\/UK region, where PSD2 lets .* only with the buyer's consent at a new checkout; create a checkout/,
      );
    }
    expect((await permission(cp)).recurringUpdates).toEqual([]);
    expect(await rowPlan('terms-eu')).toEqual(['1000', 'month', 1]);

    expect(await eu.changePlan('terms-eu', { amountMinor: '800' })).toMatchObject({ amountMinor: '800' });
    const { chargePermission, recurringUpdates } = await permission(cp);
    expect(recurringUpdates.map((u) => [u.region, u.to.amountMinor, u.needsCheckoutUnderPsd2])).toEqual([['eu', '800', false]]);
    expect(chargePermission.recurringMetadata).toEqual({ frequency: { unit: 'Month', value: '1' }, amount: { amount: '8.00', currencyCode: 'EUR' } });

    // Stopping at period end, the subscription cannot be replaced by a checkout: the refusal says so
    // instead of pointing to a replacement the checkout would refuse.
    await eu.stopSubscription('terms-eu', { atPeriodEnd: true });
    const stopping = await eu.changePlan('terms-eu', { amountMinor: '1200' }).catch((e: unknown) => e);
    expect(stopping).toBeInstanceOf(CheckoutRequiredError);
    expect(String((stopping as Error).message)).toMatch(
      /only with the buyer's consent at a new checkout, but a checkout cannot replace it now: Subscription terms-eu stops at the end of its period \([^)]*, on \S+\); a checkout does not replace a subscription with a stop recorded: start the new plan with a checkout without replacesSubscriptionId once it has ended on \S+ \(a checkout before then would charge for a period already paid\)$/,
    );
    expect(await rowPlan('terms-eu')).toEqual(['800', 'month', 1]);
    await eu.stopSubscription('terms-eu');
  }, 60_000);
});
