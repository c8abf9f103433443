// The sample storefront's checkout page hands the daemon's signed button configuration to
// amazon.Pay.renderButton inside an inline script: payloadJSON must reach it byte for byte (it is
// what was signed) and nothing in it may close the script element.
import { describe, expect, it } from 'vitest';
import { checkoutPage, oneTimePage } from '../../../examples/storefront/pages.js';
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

  it('the OneTime page says what a payment made today covers, or that nothing was charged', () => {
    expect(oneTimePage('S01-1-C1')).toContain('The payment made today (Amazon Pay charge S01-1-C1) covers this one order only');
    expect(oneTimePage(null)).toContain('Nothing was charged.');
  });
});
