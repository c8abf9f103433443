// A buyer's checkout through the simulator without a browser: what checkout.js does with the Amazon
// Pay button's createCheckoutSessionConfig (posts it to /checkout/start, where the simulator
// verifies the signature and creates the Checkout Session, docs/simulator-checkout.md), then the
// buyer page's form (simulator/buyer-client.ts). Returns the Checkout Session id Amazon Pay
// appends to the merchant's return URL.
import type { ButtonConfig } from '../../amazonpay/button-signature.js';
import type { AmazonPayClient } from '../../amazonpay/client.js';
import { checkoutCompleteIdempotencyKey } from '../../billing/keys.js';
import { SIMULATOR_STORE_ID } from '../../devstack/sandbox-credentials.js';
import { approveAsBuyer, cancelAsBuyerOnPage } from '../../simulator/buyer-client.js';

/** Clicks the button: the buyer page's URL (the session exists from here on). Throws with the simulator's page when it refuses the config. */
export async function clickAmazonPayButton(simulatorUrl: string, config: ButtonConfig): Promise<string> {
  const response = await fetch(`${simulatorUrl}/checkout/start`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...config }).toString(),
  });
  const location = response.headers.get('location');
  if (response.status !== 303 || !location) throw new Error(`the button was refused: HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`);
  return new URL(location, simulatorUrl).toString();
}

export interface BuyerChoice {
  /** Sandbox card (docs/simulator-checkout.md): 1111 succeeds, 0701 pending then Authorized, 4354 pending then HardDeclined, 3064 / 3434 end the checkout. */
  cardSuffix?: string;
  /** Whether the buyer agrees to save the payment method (no: a OneTime Charge Permission). Default yes. */
  save?: boolean;
  /** The buyer cancels on Amazon's page instead of paying. */
  cancel?: boolean;
}

/** Button, then the buyer page: the Checkout Session id from the URL the buyer returns to, and that URL. */
export async function checkoutAsBuyer(
  simulatorUrl: string,
  config: ButtonConfig,
  choice: BuyerChoice = {},
): Promise<{ checkoutSessionId: string; returnUrl: string }> {
  const page = await clickAmazonPayButton(simulatorUrl, config);
  const returnUrl = choice.cancel ? await cancelAsBuyerOnPage(page) : await approveAsBuyer(page, choice);
  const checkoutSessionId = new URL(returnUrl).searchParams.get('amazonCheckoutSessionId');
  if (!checkoutSessionId) throw new Error(`the return URL ${returnUrl} carries no amazonCheckoutSessionId`);
  return { checkoutSessionId, returnUrl };
}

/**
 * A whole checkout made outside the product, as a merchant integration would: a Recurring
 * 14.00 USD payload with paymentIntent Authorize (pending authorizations handled), the buyer's
 * approval (`choice`), and Complete Checkout Session: the Charge Permission and the first
 * ChargeId (Authorized, or AuthorizationInitiated with card …0701).
 */
export async function authorizedCheckout(
  simulatorUrl: string,
  amazonPay: AmazonPayClient,
  reference: string,
  choice: BuyerChoice = {},
): Promise<{ chargePermissionId: string; chargeId: string }> {
  const price = { amount: '14.00', currencyCode: 'USD' };
  const payload = {
    storeId: SIMULATOR_STORE_ID,
    webCheckoutDetails: { checkoutMode: 'ProcessOrder', checkoutResultReturnUrl: 'http://localhost/return' },
    chargePermissionType: 'Recurring',
    recurringMetadata: { frequency: { unit: 'Variable', value: '0' }, amount: price },
    paymentDetails: { paymentIntent: 'Authorize', chargeAmount: price, presentmentCurrency: 'USD', canHandlePendingAuthorization: true },
    merchantMetadata: { merchantReferenceId: reference },
  };
  const { checkoutSessionId } = await checkoutAsBuyer(simulatorUrl, amazonPay.signButton(JSON.stringify(payload)), choice);
  const completed = await amazonPay.completeCheckoutSession(
    checkoutSessionId,
    { chargeAmount: price },
    { idempotencyKey: checkoutCompleteIdempotencyKey(checkoutSessionId) },
  );
  if (completed.kind !== 'ok' || !completed.body.chargePermissionId || !completed.body.chargeId)
    throw new Error(`checkout not completed: ${JSON.stringify(completed)}`);
  return { chargePermissionId: completed.body.chargePermissionId, chargeId: completed.body.chargeId };
}
