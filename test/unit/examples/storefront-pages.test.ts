// The sample storefront's checkout page hands the daemon's signed button configuration to
// amazon.Pay.renderButton inside an inline script: payloadJSON must reach it byte for byte (it is
// what was signed) and nothing in it may close the script element.
import { describe, expect, it } from 'vitest';
import type { SubscriptionDetails } from '../../../examples/storefront/billing-api.js';
import { checkoutPage, oneTimePage, subscribedPage } from '../../../examples/storefront/pages.js';
import { PLANS } from '../../../examples/storefront/plans.js';

const payloadJSON = JSON.stringify({
  storeId: 'amzn1.application-oa2-client.x',
  merchantMetadata: { merchantStoreName: 'Tea & </script><script>alert(1)</script> "Co"', noteToBuyer: 'é\u2028' },
});
const button = {
  merchantId: 'A1SIMULATED0MX',
  sandbox: true,
  productType: 'PayOnly' as const,
  createCheckoutSessionConfig: { payloadJSON, signature: 'c2ln+/=', publicKeyId: 'SANDBOX-X', algorithm: 'AMZN-PAY-RSASSA-PSS-V2' },
};

describe('storefront pages', () => {
  it('the checkout page passes createCheckoutSessionConfig to renderButton unchanged, and nothing in it closes the script', () => {
    const html = checkoutPage(PLANS[0]!, 'shop-1', button, 'http://127.0.0.1:4010/checkout.js');
    expect(html.match(/<\/script>/g)).toHaveLength(2); // checkout.js's and renderButton's: none from the payload
    const call = /amazon\.Pay\.renderButton\('#AmazonPayButton', (.*)\);<\/script>/s.exec(html);
    expect(call).not.toBeNull();
    const config = JSON.parse(call![1]!);
    expect(config.createCheckoutSessionConfig).toEqual(button.createCheckoutSessionConfig);
    expect(config.createCheckoutSessionConfig.payloadJSON).toBe(payloadJSON);
    expect(config).toMatchObject({ ledgerCurrency: 'USD', placement: 'Checkout', productType: 'PayOnly', sandbox: true });
  });

  it("the return page's next billing date is complete's answer: shown before the subscription's workflow has planned anything", () => {
    const details: SubscriptionDetails = {
      subscription: {
        id: 'shop-1',
        status: 'active',
        plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month', count: 1 } },
        trial: null,
        anchor: { localDateTime: '2027-01-31T09:00:00', zone: 'America/New_York' },
      },
      live: null,
      charges: [],
    };
    const html = subscribedPage(details, PLANS[0], { chargeId: 'S01-1-C1', nextBillingAt: '2027-02-28T14:00:00.000Z' });
    expect(html).toContain('<dd id="next-billing"><time datetime="2027-02-28T14:00:00.000Z">February 28, 2027 at 9:00 AM (America/New_York)</time></dd>');
    expect(subscribedPage(details, PLANS[0], { chargeId: 'S01-1-C1', nextBillingAt: null })).toContain(
      '<dd id="next-billing">none: your subscription ends before another period</dd>',
    );
  });

  it('the OneTime page says what a payment made today covers, or that nothing was charged', () => {
    expect(oneTimePage('S01-1-C1')).toContain('The payment made today (Amazon Pay charge S01-1-C1) covers this one order only');
    expect(oneTimePage(null)).toContain('Nothing was charged.');
  });
});
