// createCheckout: the Amazon Pay button for a plan, signed by the daemon, so the merchant's page
// renders it without ever holding the private key. Nothing is sent to Amazon Pay here: the
// button creates the Checkout Session when the buyer clicks it (amazon-pay-checkout reference §3,
// §7); completeCheckout (complete.ts) then starts the subscription.
import type { ButtonConfig } from '../../amazonpay/button-signature.js';
import type { PaymentIntent } from '../../amazonpay/types.js';
import { normalisePlanCurrency, validateSubscriptionId } from '../../billing/plan-rules.js';
import { validateSubscriptionSpecWithSchedule, validateZone } from '../../billing/schedule.js';
import type { BillingEnvironment, BillingInterval, MerchantMetadata, MoneyDto, Plan, Problem, SubscriptionEnd } from '../../billing/types.js';
import { saveCheckout } from '../../db/queries/checkouts.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import type { BillingClientDeps } from '../deps.js';
import { ConflictError, InvalidInputError, NotConfiguredError } from '../errors.js';
import { assertCheckoutPlanWithinLimits, capTermsOf } from '../subscriptions/amazon-checks.js';
import { anchorAt } from '../subscriptions/start.js';
import { assertReplaceable } from './replace.js';
import { checkoutPayload, paymentIntentFor, signedReturnUrl, validateReturnUrl, type CheckoutTerms } from './payload.js';

export interface CreateCheckoutInput {
  /** Your id for the subscription the checkout starts, as startSubscription's `id` (1-64 of A-Z a-z 0-9 _ . : -). */
  subscriptionId: string;
  plan: Plan;
  /** The buyer's IANA zone (default UTC): the subscription's anchor is when the checkout is completed, in it. */
  zone?: string;
  /** A free trial: nothing is charged at checkout (paymentIntent Confirm), cycle 0 is billed when it ends. */
  trial?: BillingInterval;
  end?: SubscriptionEnd;
  /**
   * Statement descriptor, at most 16 bytes, on every charge of the subscription: in the checkout
   * payload with AuthorizeWithCapture (Amazon Pay takes it at checkout with no other payment
   * intent), on the Capture Charge of an Authorize checkout charge, and on every Create Charge.
   */
  softDescriptor?: string;
  /** merchantStoreName, noteToBuyer, customInformation (the subscription id is the merchantReferenceId). */
  merchantMetadata?: MerchantMetadata;
  /** Where Amazon Pay sends the buyer after paying, with amazonCheckoutSessionId appended: your page that calls complete. */
  checkoutResultReturnUrl: string;
  /** Where a buyer who cancels on Amazon's page is sent (default: the result URL, where complete answers that the session was canceled). */
  checkoutCancelUrl?: string;
  /**
   * Authorize cycle 0 with pending authorizations allowed (canHandlePendingAuthorization; the
   * daemon captures it once Authorized) instead of AuthorizeWithCapture. Default: the billing
   * policy's usePendingAuthorization. `true` with a trial is refused: a trial's checkout is
   * Confirm, which charges nothing, so no authorization can be pending (amazon-pay-checkout
   * reference §5.2); the trial's later charges follow the policy.
   */
  canHandlePendingAuthorization?: boolean;
  /**
   * The live subscription (active or trialing) the new one replaces, e.g. a plan change Amazon
   * Pay's EU/UK region lets through only with a new checkout: nothing is charged at checkout
   * (Confirm), the new subscription's cycle 0 is due at that one's next billing date (its schedule
   * continued: billing/segments.ts continuationAnchor), and complete stops it and closes its Charge
   * Permission. Same currency and zone; no trial (client/checkout/replace.ts).
   */
  replacesSubscriptionId?: string;
}

export interface CheckoutButton {
  subscriptionId: string;
  /** The subscription the checkout replaces, null for none. */
  replacesSubscriptionId: string | null;
  paymentIntent: PaymentIntent;
  /** What is charged at checkout (cycle 0), null with a trial (Confirm). */
  chargeAmount: MoneyDto | null;
  /** amazon.Pay.renderButton's createCheckoutSessionConfig: payloadJSON exactly as signed, signature, publicKeyId, algorithm. */
  createCheckoutSessionConfig: ButtonConfig;
  /** renderButton's merchantId: the merchant ID of the Amazon Pay account (AMAZON_PAY_MERCHANT_ID). */
  merchantId: string;
  /** renderButton's sandbox flag: true against the sandbox (and the simulator). */
  sandbox: boolean;
  /** renderButton's productType: the checkout has no shipping address. */
  productType: 'PayOnly';
}

/** A syntactically valid Charge Permission id standing in for the one checkout will create, so the start's own checks can run now. */
const PLACEHOLDER_PERMISSION = 'S00-0000000-0000000';

/**
 * Validates the terms with the rules of startSubscription (id, plan, zone, trial, end, descriptor,
 * metadata) and the return URLs, stores them with the signed payload (db/queries/checkouts.ts),
 * and returns the button configuration. The same subscription id again replaces the terms while
 * no Checkout Session has claimed them. With `replacesSubscriptionId` the subscription it names is
 * checked too (client/checkout/replace.ts assertReplaceable) and the payload is Confirm. Throws
 * InvalidInputError (every problem named; an unknown replaced subscription, another currency or
 * zone), ConflictError (the subscription exists, or a session already completes this checkout;
 * the replaced one has ended, is paused, in dunning, or was replaced already),
 * NotConfiguredError (no Store ID, or no merchant ID: Amazon's renderButton requires merchantId).
 */
export async function createCheckout(deps: BillingClientDeps, input: CreateCheckoutInput): Promise<CheckoutButton> {
  const context = { environment: deps.environment, now: deps.now(), usePendingAuthorization: deps.policy.usePendingAuthorization };
  // Every check of the input that reads nothing first (the replaced subscription's zone stands in for a zone left out).
  let terms = checkCheckoutInput(input, context);
  if (input.replacesSubscriptionId !== undefined) {
    const old = await assertReplaceable(deps, {
      replacesSubscriptionId: input.replacesSubscriptionId,
      subscriptionId: input.subscriptionId,
      plan: terms.plan,
      ...(input.zone === undefined ? {} : { zone: input.zone }),
      account: null,
    });
    terms = checkCheckoutInput({ ...input, zone: old.anchorZone }, context);
  }
  const amazonPay = deps.amazonPay();
  if (amazonPay.storeId === null) {
    throw new NotConfiguredError(
      'AMAZON_PAY_STORE_ID',
      'Checkout needs the Store ID of your Amazon Pay account (Seller Central, Integration Central: "amzn1.application-oa2-client.…"): set AMAZON_PAY_STORE_ID',
    );
  }
  const { merchantId } = amazonPay;
  if (merchantId === null) {
    throw new NotConfiguredError(
      'AMAZON_PAY_MERCHANT_ID',
      'The Amazon Pay button needs the merchant ID of your Amazon Pay account (Seller Central, Integration Central, e.g. "A1O8CIV1A24A6X"): set AMAZON_PAY_MERCHANT_ID',
    );
  }
  if (await getSubscription(deps.db, input.subscriptionId)) {
    throw new ConflictError(`Subscription ${input.subscriptionId} already exists: a checkout starts a new subscription, so give it an id no subscription has`);
  }
  const payload = checkoutPayload({
    storeId: amazonPay.storeId,
    subscriptionId: input.subscriptionId,
    terms,
    // Signed as validated: the parser's serialisation of each URL, never the raw text.
    checkoutResultReturnUrl: signedReturnUrl(input.checkoutResultReturnUrl),
    ...(input.checkoutCancelUrl === undefined ? {} : { checkoutCancelUrl: signedReturnUrl(input.checkoutCancelUrl) }),
  });
  // One line: a form post turns a bare newline into CRLF, which would change the signed bytes.
  const payloadJson = JSON.stringify(payload);
  const saved = await saveCheckout(deps.db, {
    subscriptionId: input.subscriptionId,
    account: null,
    terms,
    payloadJson,
    replacesSubscriptionId: input.replacesSubscriptionId ?? null,
    at: deps.now(),
  });
  if ('claimedBy' in saved) {
    throw new ConflictError(
      `The checkout of subscription ${input.subscriptionId} is being completed (or was) by Checkout Session ${saved.claimedBy}: its terms no longer change; complete that session, or create a checkout with another subscription id`,
    );
  }
  return {
    subscriptionId: input.subscriptionId,
    replacesSubscriptionId: input.replacesSubscriptionId ?? null,
    paymentIntent: terms.paymentIntent,
    chargeAmount: terms.paymentIntent === 'Confirm' ? null : { amountMinor: terms.plan.amountMinor, currency: terms.plan.currency },
    createCheckoutSessionConfig: amazonPay.signButton(payloadJson),
    merchantId,
    sandbox: deps.environment === 'sandbox',
    productType: 'PayOnly',
  };
}

/**
 * The input as CheckoutTerms, or InvalidInputError naming every problem (the subscription's id as
 * `subscriptionId`); `now` stands for the anchor (the moment of completion), `usePendingAuthorization`
 * is the default of canHandlePendingAuthorization. Reads nothing.
 */
export function checkCheckoutInput(
  input: CreateCheckoutInput,
  context: { environment: BillingEnvironment; now: Date; usePendingAuthorization: boolean },
): CheckoutTerms {
  const zone = input.zone ?? 'UTC';
  const plan = normalisePlanCurrency(input.plan);
  const problems: Problem[] = validateZone(zone, 'zone');
  const { merchantReferenceId, ...metadata } = input.merchantMetadata ?? {};
  if (merchantReferenceId !== undefined)
    problems.push({
      field: 'merchantMetadata.merchantReferenceId',
      message:
        'is the subscription id in a checkout (Amazon Pay shows it to the buyer as the order reference, and complete finds the checkout by it): leave it out',
    });
  const spec = {
    id: input.subscriptionId,
    chargePermissionId: PLACEHOLDER_PERMISSION,
    plan,
    // When it is completed the anchor is "now" then; now stands for it in the checks (end.at after it, the zone).
    anchor: problems.length === 0 ? anchorAt(context.now, zone) : { localDateTime: '2000-01-01T00:00', zone: 'UTC' },
    ...(input.trial === undefined ? {} : { trial: input.trial }),
    ...(input.end === undefined ? {} : { end: input.end }),
    ...(input.softDescriptor === undefined ? {} : { softDescriptor: input.softDescriptor }),
    ...(input.merchantMetadata === undefined ? {} : { merchantMetadata: metadata }),
  };
  if (input.replacesSubscriptionId !== undefined) problems.push(...replacementProblems(input));
  if (input.trial !== undefined && input.canHandlePendingAuthorization === true)
    problems.push({
      field: 'canHandlePendingAuthorization',
      message:
        'cannot be true with a trial: a trial checkout is paymentIntent Confirm, which charges nothing, so no authorization can be pending; leave it out (the charges after the trial follow billing.yaml policy.usePendingAuthorization)',
    });
  problems.push(
    ...validateSubscriptionSpecWithSchedule(spec, { environment: context.environment })
      .filter((p) => !p.field.startsWith('anchor'))
      .map((p) => (p.field === 'id' ? { ...p, field: 'subscriptionId' } : p)),
    ...validateReturnUrl(input.checkoutResultReturnUrl, 'checkoutResultReturnUrl', context.environment),
    ...(input.checkoutCancelUrl === undefined ? [] : validateReturnUrl(input.checkoutCancelUrl, 'checkoutCancelUrl', context.environment)),
  );
  if (problems.length > 0) throw new InvalidInputError(problems);
  // The plan must fit the permission the checkout creates: refused before the buyer sees a button.
  assertCheckoutPlanWithinLimits(capTermsOf(plan, input.end), 'plan.amountMinor');
  const pending = input.canHandlePendingAuthorization ?? context.usePendingAuthorization;
  return {
    plan,
    zone,
    ...(input.trial === undefined ? {} : { trial: input.trial }),
    ...(input.end === undefined ? {} : { end: input.end }),
    ...(input.softDescriptor === undefined ? {} : { softDescriptor: input.softDescriptor }),
    ...(Object.keys(metadata).length === 0 ? {} : { merchantMetadata: metadata }),
    paymentIntent: paymentIntentFor({
      trial: input.trial !== undefined,
      canHandlePendingAuthorization: pending,
      replacement: input.replacesSubscriptionId !== undefined,
    }),
    ...(input.replacesSubscriptionId === undefined ? {} : { replacesSubscriptionId: input.replacesSubscriptionId }),
  };
}

/** What a replacement refuses before anything is read: its id's form, a trial, pending authorizations (its checkout charges nothing). */
function replacementProblems(input: CreateCheckoutInput): Problem[] {
  const problems: Problem[] = validateSubscriptionId(input.replacesSubscriptionId, 'replacesSubscriptionId');
  if (input.trial !== undefined)
    problems.push({
      field: 'trial',
      message:
        'cannot be given with replacesSubscriptionId: the new plan starts at the next billing date of the subscription it replaces, whose paid period covers the time until then; leave trial out',
    });
  if (input.canHandlePendingAuthorization === true)
    problems.push({
      field: 'canHandlePendingAuthorization',
      message: 'cannot be true with replacesSubscriptionId: a replacement checkout is paymentIntent Confirm, which charges nothing; leave it out',
    });
  return problems;
}
