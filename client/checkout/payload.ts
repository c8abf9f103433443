// The Checkout Session the Amazon Pay button creates for a plan (amazon-pay-checkout reference
// §3, §7, §8): a ProcessOrder checkout (the buyer signs in, approves and pays on Amazon's page,
// then returns to the merchant's result URL), a Recurring Charge Permission whose
// recurringMetadata states the plan the buyer agrees to, and the payment intent that makes cycle 0:
// Confirm for a free trial (nothing is charged at checkout), AuthorizeWithCapture when cycle 0 is
// paid at checkout, or Authorize with canHandlePendingAuthorization when the merchant handles
// pending authorizations (the daemon captures it afterwards, workflows/checkout-charge.ts). Pure.
import type { CheckoutSessionPayload, FrequencyUnit, PaymentIntent } from '../../amazonpay/types.js';
import { money, toAmazonPrice } from '../../billing/money.js';
import { controlCharacterProblem, urlWrittenWithHost } from '../../billing/plan-rules.js';
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
  /** The live subscription this checkout replaces (client/checkout/replace.ts): Confirm, and cycle 0 at its next billing date. */
  replacesSubscriptionId?: string;
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

/**
 * Confirm with a trial or for a replacement (nothing charged at checkout: the trial, or the
 * replaced subscription's paid period, covers the time until cycle 0); otherwise cycle 0 is paid at
 * checkout, captured at once unless pending authorizations are handled.
 */
export function paymentIntentFor(options: { trial: boolean; canHandlePendingAuthorization: boolean; replacement?: boolean }): PaymentIntent {
  if (options.trial || options.replacement) return 'Confirm';
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
/** Hosts a sandbox return URL may reach over plain http: the merchant's own machine (the simulator takes the same). */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'] as const;
/** The query parameter Amazon Pay appends to a return URL; one already there would be ambiguous to the return page. */
const SESSION_PARAMETER = 'amazonCheckoutSessionId';

/** "localhost, 127.0.0.1 or [::1]": the loopback rule in words, for messages and the OpenAPI document. */
export function loopbackHostsText(): string {
  return `${LOOPBACK_HOSTS.slice(0, -1).join(', ')} or ${LOOPBACK_HOSTS[LOOPBACK_HOSTS.length - 1]}`;
}

/** What a return URL may be, in words (messages, the OpenAPI description). */
export function returnUrlRule(environment: BillingEnvironment | 'any'): string {
  const loopback = environment === 'live' ? '' : ` (http only to ${loopbackHostsText()} in the sandbox)`;
  return `an absolute https URL of your site${loopback}, at most ${MAX_RETURN_URL_LENGTH} characters, with no spaces or ${SESSION_PARAMETER} parameter, without user name or password`;
}

/**
 * A return URL as it is signed into the button and sent to Amazon Pay: the URL parser's
 * serialisation (WHATWG), so what validateReturnUrl checked is exactly what is signed.
 * Call only with a value validateReturnUrl accepted.
 */
export function signedReturnUrl(value: string): string {
  return new URL(value).href;
}

/**
 * A return URL the buyer is sent to: absolute https (http only to a LOOPBACK_HOSTS host, and only
 * in the sandbox, as Amazon Pay takes them), written with its host (`https:///r` is refused, not
 * read as host "r"), a host with a dot unless loopback, no user name or password, no whitespace or
 * control characters (the parser would drop them silently), no amazonCheckoutSessionId (Amazon
 * appends its own), at most 1024 characters. The checks run on the parsed URL, whose serialisation
 * (signedReturnUrl) is what the button signs.
 */
export function validateReturnUrl(value: unknown, field: string, environment: BillingEnvironment): Problem[] {
  const accepted = returnUrlRule(environment);
  const masked = typeof value === 'string' ? maskUrlPassword(value) : '';
  const shown = typeof value === 'string' ? JSON.stringify(masked.length > 80 ? `${masked.slice(0, 80)}…` : masked) : typeof value;
  const refuse = (why = ''): Problem[] => [{ field, message: `must be ${accepted}${why}, got ${shown}` }];
  // Written as scheme://host…: the parser would read "https:///r" or "https:r" as host "r".
  if (
    typeof value !== 'string' ||
    value.length > MAX_RETURN_URL_LENGTH ||
    /\s/.test(value) ||
    controlCharacterProblem(value) !== null ||
    !urlWrittenWithHost(value)
  )
    return refuse();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse();
  }
  const loopback = (LOOPBACK_HOSTS as readonly string[]).includes(url.hostname);
  const loopbackHttp = url.protocol === 'http:' && loopback && environment === 'sandbox';
  if ((url.protocol !== 'https:' && !loopbackHttp) || url.username !== '' || url.password !== '' || (!loopback && !url.hostname.includes('.'))) return refuse();
  if (url.searchParams.has(SESSION_PARAMETER)) return refuse(`; Amazon Pay appends ${SESSION_PARAMETER} itself`);
  if (url.href.length > MAX_RETURN_URL_LENGTH) return refuse();
  return [];
}
