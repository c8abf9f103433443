// The Checkout Session the Amazon Pay button creates for a plan (amazon-pay-checkout reference
// §3, §7, §8): a ProcessOrder checkout (the buyer signs in, approves and pays on Amazon's page,
// then returns to the merchant's result URL), a Recurring Charge Permission whose
// recurringMetadata states the plan the buyer agrees to, and the payment intent that makes cycle 0:
// Confirm for a free trial (nothing is charged at checkout), AuthorizeWithCapture when cycle 0 is
// paid at checkout, or Authorize with canHandlePendingAuthorization when the merchant handles
// pending authorizations (the daemon captures it afterwards, workflows/checkout-charge.ts). Pure.
import type { CheckoutSessionPayload, FrequencyUnit, PaymentIntent } from '../../amazonpay/types.js';
import { money, toAmazonPrice } from '../../billing/money.js';
import { maskUrlPassword } from '../../config/redact-url.js';
import type { BillingEnvironment, BillingInterval, MerchantMetadata, Plan, Problem, SubscriptionEnd } from '../../billing/types.js';

/** The terms a checkout's subscription starts with, as stored with it (db/schema/checkouts.ts). */
export interface CheckoutTerms {
  plan: Plan;
  /** The buyer's IANA zone: the subscription's anchor is the moment of completion in it. */
  zone: string;
  trial?: BillingInterval;
  end?: SubscriptionEnd;
  softDescriptor?: string;
  /** merchantStoreName, noteToBuyer, customInformation; merchantReferenceId is the subscription id. */
  merchantMetadata?: Omit<MerchantMetadata, 'merchantReferenceId'>;
  paymentIntent: PaymentIntent;
}

/**
 * recurringMetadata.frequency for an interval: Day, Week, Month, Year with the count. Amazon Pay
 * has no unit below a day, so the sandbox-only second/minute/hour intervals say Variable ("0"):
 * charges continue at intervals Amazon is not told (reference §8).
 */
export function frequencyOf(interval: BillingInterval): { unit: FrequencyUnit; value: string } {
  switch (interval.unit) {
    case 'day':
      return { unit: 'Day', value: String(interval.count) };
    case 'week':
      return { unit: 'Week', value: String(interval.count) };
    case 'month':
      return { unit: 'Month', value: String(interval.count) };
    case 'year':
      return { unit: 'Year', value: String(interval.count) };
    default:
      return { unit: 'Variable', value: '0' };
  }
}

/** Confirm with a trial (nothing charged at checkout); otherwise cycle 0 is paid at checkout, captured at once unless pending authorizations are handled. */
export function paymentIntentFor(options: { trial: boolean; canHandlePendingAuthorization: boolean }): PaymentIntent {
  if (options.trial) return 'Confirm';
  return options.canHandlePendingAuthorization ? 'Authorize' : 'AuthorizeWithCapture';
}

/** The Create Checkout Session body for `terms`: what the button's payloadJSON carries. */
export function checkoutPayload(input: {
  storeId: string;
  subscriptionId: string;
  terms: CheckoutTerms;
  checkoutResultReturnUrl: string;
  checkoutCancelUrl?: string;
}): CheckoutSessionPayload {
  const { terms } = input;
  const price = toAmazonPrice(money(BigInt(terms.plan.amountMinor), terms.plan.currency));
  const intent = terms.paymentIntent;
  return {
    storeId: input.storeId,
    webCheckoutDetails: {
      checkoutMode: 'ProcessOrder',
      checkoutResultReturnUrl: input.checkoutResultReturnUrl,
      ...(input.checkoutCancelUrl === undefined ? {} : { checkoutCancelUrl: input.checkoutCancelUrl }),
    },
    chargePermissionType: 'Recurring',
    recurringMetadata: { frequency: frequencyOf(terms.plan.interval), amount: price },
    paymentDetails: {
      paymentIntent: intent,
      // A Confirm session charges nothing: no chargeAmount, so Complete takes an empty body (§5.2).
      ...(intent === 'Confirm' ? {} : { chargeAmount: price }),
      presentmentCurrency: terms.plan.currency,
      ...(intent === 'Authorize' ? { canHandlePendingAuthorization: true } : {}),
      // Amazon takes softDescriptor only with AuthorizeWithCapture (§4).
      ...(intent === 'AuthorizeWithCapture' && terms.softDescriptor ? { softDescriptor: terms.softDescriptor } : {}),
    },
    merchantMetadata: { ...terms.merchantMetadata, merchantReferenceId: input.subscriptionId },
  };
}

/** Amazon's limit on a return URL's length (the simulator's, from the SDKs' models). */
export const MAX_RETURN_URL_LENGTH = 1024;
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * A return URL the buyer is sent to: absolute https (http only to localhost, 127.0.0.1 or [::1],
 * and only in the sandbox, as Amazon Pay takes them), no user name or password in it, at most
 * 1024 characters. Amazon appends amazonCheckoutSessionId to it.
 */
export function validateReturnUrl(value: unknown, field: string, environment: BillingEnvironment): Problem[] {
  const accepted = `an absolute https URL of your site${environment === 'sandbox' ? ' (http only to localhost or 127.0.0.1 in the sandbox)' : ''}, at most ${MAX_RETURN_URL_LENGTH} characters, without user name or password`;
  const masked = typeof value === 'string' ? maskUrlPassword(value) : '';
  const shown = typeof value === 'string' ? JSON.stringify(masked.length > 80 ? `${masked.slice(0, 80)}…` : masked) : typeof value;
  if (typeof value !== 'string' || value.length > MAX_RETURN_URL_LENGTH) return [{ field, message: `must be ${accepted}, got ${shown}` }];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [{ field, message: `must be ${accepted}, got ${shown}` }];
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname) && environment === 'sandbox';
  if ((url.protocol !== 'https:' && !loopbackHttp) || url.username !== '' || url.password !== '' || url.hostname === '') {
    return [{ field, message: `must be ${accepted}, got ${shown}` }];
  }
  return [];
}
