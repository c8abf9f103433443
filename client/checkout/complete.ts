// completeCheckout: what the merchant's return page calls with the amazonCheckoutSessionId Amazon
// Pay appended to it. Reads the Checkout Session (Amazon's word, not the caller's), checks it is
// one of this daemon's checkouts with the terms it signed, completes it idempotently with exactly
// the session's amount, and starts the subscription on the Charge Permission the buyer agreed to
// (amazon-pay-checkout reference §5, §10). Repeated and concurrent calls return the same subscription.
// A checkout that replaces a subscription also stops that one and closes its permission (replace.ts).
import { checkoutSessionStanding, completeDecisionOf, type CheckoutSessionStanding } from '../../amazonpay/checkout-outcomes.js';
import type { AmazonPayClient } from '../../amazonpay/client.js';
import type { AmazonPayOutcome } from '../../amazonpay/outcome-types.js';
import type { CheckoutSession, CheckoutSessionPayload, Price } from '../../amazonpay/types.js';
import { checkoutCompleteIdempotencyKey, subscriptionWorkflowId } from '../../billing/keys.js';
import { expiresAtOf } from '../../amazonpay/reads.js';
import { recordPermissionExpiry } from '../../db/queries/permissions.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { subscriptionView } from '../subscriptions/views.js';
import { formatMoney, parseDecimalAmount } from '../../billing/money.js';
import { normaliseCheckoutSessionId, validateCheckoutSessionId } from '../../billing/plan-rules.js';
import { validateSubscriptionSpecWithSchedule } from '../../billing/schedule.js';
import type { BillingAnchor, Problem, SubscriptionSpec } from '../../billing/types.js';
import { claimCheckout, getCheckout, recordCompleteRefusal, releaseCheckout } from '../../db/queries/checkouts.js';
import type { CheckoutRow } from '../../db/schema/index.js';
import type { BillingClientDeps } from '../deps.js';
import {
  CheckoutCompletedByAnotherSessionError,
  CheckoutSessionError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  UpstreamError,
  type CheckoutRefusal,
} from '../errors.js';
import { assertCheckoutPlanWithinLimits, capTermsOf, okOrThrow } from '../subscriptions/amazon-checks.js';
import { anchorAt, startSubscription, type StartSubscriptionResult } from '../subscriptions/start.js';
import { firstUnpaidCycleDueAt } from './next-billing.js';
import { assertReplaceable, beingReplacedMessage, continuationOf, finishReplacement, type ReplacedSubscription } from './replace.js';
import type { CheckoutTerms } from './payload.js';

export interface CompleteCheckoutResult extends StartSubscriptionResult {
  checkoutSessionId: string;
  chargePermissionId: string;
  /** The charge made at checkout (cycle 0), null for a trial (Confirm). */
  chargeId: string | null;
  /**
   * When the first cycle not paid at checkout is due (ISO-8601 UTC): cycle 1, or with a trial the
   * trial's end (cycle 0); null when the subscription ends before it (next-billing.ts). A checkout
   * charge still pending counts as cycle 0's; if Amazon declines it later, cycle 0 is retried. Known at
   * once, unlike `subscription.nextBillingAt`, which the workflow records when it plans that cycle.
   */
  nextBillingAt: string | null;
  /**
   * The subscription this checkout replaced (replacesSubscriptionId at create), stopped now with
   * reason ReplacedBy:<this subscription's id> and its Charge Permission closed; null for a
   * checkout that replaces none (client/checkout/replace.ts).
   */
  replaced: ReplacedSubscription | null;
}

/**
 * Throws NotFoundError (no such session, or not one of this daemon's checkouts), ConflictError
 * (another Checkout Session completes this checkout, or the session carries other terms than the
 * checkout's latest button), CheckoutSessionError (AmountMismatch, InvalidCheckoutSessionStatus,
 * Expired, Canceled, OneTime: nothing started, see client/errors.ts), InvalidInputError,
 * ChargePermissionNotChargeableError, UpstreamError (Amazon Pay or Temporal; retry the call).
 * A replacement checkout (replacesSubscriptionId, client/checkout/replace.ts) starts its
 * subscription at the replaced one's next billing date, then stops that one and closes its Charge
 * Permission (`replaced`); ConflictError before anything is completed when the replaced one can no
 * longer be replaced, and a retryable one (Retry-After) while its cycle is being charged.
 */
export async function completeCheckout(deps: BillingClientDeps, sentCheckoutSessionId: string): Promise<CompleteCheckoutResult> {
  const idProblems = validateCheckoutSessionId(sentCheckoutSessionId, 'checkoutSessionId');
  if (idProblems.length > 0) throw new InvalidInputError(idProblems);
  // Amazon's lower-case form from here on: the claim, the complete's idempotency key and the answer name one session whatever the case sent.
  const checkoutSessionId = normaliseCheckoutSessionId(sentCheckoutSessionId) as string;
  const amazonPay = deps.amazonPay();
  let session = sessionOrThrow(await amazonPay.getCheckoutSession(checkoutSessionId), checkoutSessionId);
  const checkout = await checkoutOf(deps, session);
  const terms = checkout.terms as CheckoutTerms;
  assertSessionMatches(session, checkout);
  const at = { subscriptionId: checkout.subscriptionId, checkoutSessionId };

  let standing = checkoutSessionStanding(session);
  if (standing.state === 'open') {
    // Before Amazon charges anything: the session is the one that completes this checkout, and
    // the subscription it starts passes every check that does not need the Charge Permission.
    const anchor = await claim(deps, checkout, checkoutSessionId, 'before-complete');
    try {
      // An open session has started nothing, so a row with the checkout's id was started another
      // way (billing start, POST /v1/subscriptions): completing would charge the buyer for nothing.
      if (await getSubscription(deps.db, checkout.subscriptionId))
        throw new ConflictError(
          `Subscription ${checkout.subscriptionId} already exists, started without this checkout; Checkout Session ${checkoutSessionId} was not completed and nothing was charged (Amazon Pay cancels it after 24 hours): create a checkout with another subscription id and show the buyer its button`,
        );
      assertStartable(deps, checkout, terms, anchor);
    } catch (error) {
      await releaseCheckout(deps.db, { ...at, at: deps.now() });
      throw error;
    }
    // A refusal that leaves the session Open moves the key on (keys.ts), then gives the checkout back.
    const refused = async (): Promise<void> => {
      await recordCompleteRefusal(deps.db, { subscriptionId: checkout.subscriptionId, refusals: checkout.completeRefusals, at: deps.now() });
      await releaseCheckout(deps.db, { ...at, at: deps.now() });
    };
    session = await complete(deps, amazonPay, session, checkout.completeRefusals, refused);
    standing = checkoutSessionStanding(session);
  }
  if (standing.state !== 'completed') {
    await releaseCheckout(deps.db, { ...at, at: deps.now() });
    throw refusalFor(session, standing);
  }

  const permission = okOrThrow(
    await amazonPay.getChargePermission(standing.chargePermissionId),
    'charge_permission',
    standing.chargePermissionId,
    'Get Charge Permission',
  );
  if (permission.chargePermissionType === 'OneTime') {
    await releaseCheckout(deps.db, { ...at, at: deps.now() });
    throw refusal('OneTime', session, oneTimeMessage(session, standing, checkout.subscriptionId));
  }
  // A repeat after this session started the subscription (the buyer reloads the return page) is
  // that subscription, whatever its terms became since (a plan change): not a start to compare.
  // It shows the expiry Amazon has now (a new subscription stores it at start).
  await recordPermissionExpiry(deps.db, standing.chargePermissionId, expiresAtOf(permission), deps.now());
  const existing = await getSubscription(deps.db, checkout.subscriptionId);
  if (existing && existing.chargePermissionId === standing.chargePermissionId) {
    const subscription = subscriptionView(existing);
    return {
      subscription,
      workflowId: subscriptionWorkflowId(existing.id),
      created: false,
      checkoutSessionId,
      chargePermissionId: standing.chargePermissionId,
      chargeId: standing.chargeId,
      nextBillingAt: firstUnpaidCycleDueAt(terms, subscription.anchor, standing.chargeId !== null),
      // A repeat finishes what a crash may have left of the replacement (stop, close) and answers the same.
      replaced: terms.replacesSubscriptionId ? await finishReplacement(deps, terms.replacesSubscriptionId, existing.id) : null,
    };
  }
  const anchor = await claim(deps, checkout, checkoutSessionId, 'after-complete');
  let started: StartSubscriptionResult;
  try {
    started = await startSubscription(deps, {
      ...startInput(checkout, terms, anchor),
      chargePermissionId: standing.chargePermissionId,
      ...(standing.chargeId ? { firstChargeId: standing.chargeId } : {}),
    });
  } catch (error) {
    // The checkout is done at Amazon Pay; a refusal of the terms now (e.g. the permission's monthly
    // limit) is not about this request's fields, and retrying the complete cannot change it.
    if (!(error instanceof InvalidInputError)) throw error;
    throw new ConflictError(
      `Checkout Session ${checkoutSessionId} is completed (Charge Permission ${standing.chargePermissionId}${standing.chargeId ? `, charge ${standing.chargeId}` : ''}) but subscription ${checkout.subscriptionId} cannot start: ${error.message}; refund or cancel the checkout charge in Seller Central, or start the subscription with billing start and terms that hold`,
    );
  }
  // The new subscription runs: only now is the one it replaces stopped (no charge after this) and its permission closed.
  const replaced = terms.replacesSubscriptionId ? await finishReplacement(deps, terms.replacesSubscriptionId, checkout.subscriptionId) : null;
  return {
    ...started,
    checkoutSessionId,
    chargePermissionId: standing.chargePermissionId,
    chargeId: standing.chargeId,
    nextBillingAt: firstUnpaidCycleDueAt(terms, started.subscription.anchor, standing.chargeId !== null),
    replaced,
  };
}

function sessionOrThrow(outcome: AmazonPayOutcome<CheckoutSession>, checkoutSessionId: string): CheckoutSession {
  if (outcome.kind === 'ok') return outcome.body;
  if (outcome.kind === 'permission_state' && outcome.reasonCode === 'ResourceNotFound') {
    throw new NotFoundError('checkout_session', checkoutSessionId, 'Amazon Pay does not know it (sessions are deleted 30 days after they were created)');
  }
  const retryable = outcome.kind === 'throttled' || outcome.kind === 'transient';
  throw new UpstreamError(
    `Amazon Pay Get Checkout Session ${checkoutSessionId} failed (${outcome.kind}) ${outcome.reasonCode ?? ''}: ${outcome.message}`,
    retryable,
  );
}

/** The checkout the session was made for: its merchantReferenceId is the subscription id (client/checkout/payload.ts). */
async function checkoutOf(deps: BillingClientDeps, session: CheckoutSession): Promise<CheckoutRow> {
  const reference = session.merchantMetadata?.merchantReferenceId ?? null;
  const checkout = reference ? await getCheckout(deps.db, reference) : undefined;
  const storeId = deps.amazonPay().storeId;
  if (!checkout || (session.storeId && storeId && session.storeId !== storeId)) {
    throw new NotFoundError(
      'checkout_session',
      session.checkoutSessionId,
      `it was not made from a checkout of this daemon (merchantReferenceId ${JSON.stringify(reference)}${session.storeId ? `, store ${session.storeId}` : ''}); start checkouts with POST /v1/checkout-sessions`,
    );
  }
  return checkout;
}

/**
 * The session must carry the terms of the checkout's latest button: the buyer may have paid with
 * an older button whose terms the merchant has replaced since. Compared as Amazon holds them
 * (recurringMetadata, payment intent, charge amount); ConflictError naming each difference.
 */
function assertSessionMatches(session: CheckoutSession, checkout: CheckoutRow): void {
  const signed = JSON.parse(checkout.payloadJson) as CheckoutSessionPayload;
  const differences: { field: string; stored: string; requested: string }[] = [];
  const differ = (field: string, stored: string, found: string): void => {
    if (stored !== found) differences.push({ field, stored, requested: found });
  };
  const frequency = (f: { unit: string; value: string } | null | undefined) => (f ? `${f.unit} ${Number(f.value)}` : 'none');
  differ('recurringMetadata.frequency', frequency(signed.recurringMetadata.frequency), frequency(session.recurringMetadata?.frequency));
  differ('recurringMetadata.amount', priceText(signed.recurringMetadata.amount), priceText(session.recurringMetadata?.amount));
  differ('paymentDetails.paymentIntent', signed.paymentDetails.paymentIntent, session.paymentDetails?.paymentIntent ?? 'none');
  differ('paymentDetails.chargeAmount', priceText(signed.paymentDetails.chargeAmount), priceText(session.paymentDetails?.chargeAmount));
  if (differences.length > 0) {
    throw new ConflictError(
      `Checkout Session ${session.checkoutSessionId} was made from another button than the latest one of subscription ${checkout.subscriptionId} (${differences.map((d) => `${d.field} ${d.requested}, the checkout's ${d.stored}`).join('; ')}); nothing was completed or charged: show the buyer the current button`,
    );
  }
}

function priceText(price: Price | null | undefined): string {
  if (!price) return 'none';
  try {
    return formatMoney(parseDecimalAmount(String(price.amount), price.currencyCode));
  } catch {
    return `${String(price.amount)} ${price.currencyCode}`;
  }
}

/**
 * Claims the checkout for this session (db/queries/checkouts.ts): the subscription's anchor;
 * ConflictError when another session holds it. A replacement's anchor continues the replaced
 * subscription's next billing date, checked and taken anew until the new subscription exists
 * (client/checkout/replace.ts): before Amazon Pay completes the session its refusals are the
 * answer; after it, a replaced subscription that is no longer replaceable (it ended, or went into
 * dunning) leaves the anchor first claimed, while one charging its cycle right now is a retryable
 * conflict (the new plan then starts at the cycle after it).
 */
async function claim(
  deps: BillingClientDeps,
  checkout: CheckoutRow,
  checkoutSessionId: string,
  phase: 'before-complete' | 'after-complete',
): Promise<BillingAnchor> {
  const terms = checkout.terms as CheckoutTerms;
  let anchor = anchorAt(deps.now(), terms.zone);
  let continuesReplaced = false;
  const replacedId = terms.replacesSubscriptionId;
  if (replacedId && !(await getSubscription(deps.db, checkout.subscriptionId))) {
    const replaceable = await assertReplaceable(deps, {
      replacesSubscriptionId: replacedId,
      subscriptionId: checkout.subscriptionId,
      plan: terms.plan,
      account: checkout.account,
    }).catch((error: unknown) => {
      if (phase === 'before-complete' || !(error instanceof ConflictError || error instanceof InvalidInputError)) throw error;
      return undefined;
    });
    if (replaceable) {
      anchor = (await continuationOf(deps, replaceable, terms.plan.interval)).anchor;
      continuesReplaced = true;
    }
  }
  const claimed = await claimCheckout(deps.db, {
    subscriptionId: checkout.subscriptionId,
    checkoutSessionId,
    anchorLocal: anchor.localDateTime,
    anchorDayOfMonth: anchor.dayOfMonth ?? null,
    continuesReplaced,
    at: deps.now(),
  });
  if ('anchorLocal' in claimed)
    return { localDateTime: claimed.anchorLocal, zone: terms.zone, ...(claimed.anchorDayOfMonth === null ? {} : { dayOfMonth: claimed.anchorDayOfMonth }) };
  // A replacement refused because another checkout's session replaces the same subscription: this checkout's subscription was not started by anyone.
  if (claimed.replacedBy) {
    const { replacedSubscriptionId, ...by } = claimed.replacedBy;
    throw new ConflictError(
      beingReplacedMessage(
        replacedSubscriptionId,
        by,
        `Checkout Session ${checkoutSessionId} was not completed and nothing was charged (Amazon Pay cancels it after 24 hours)`,
      ),
    );
  }
  const message = `Subscription ${checkout.subscriptionId} is started (or being started) by Checkout Session ${claimed.claimedBy}; Checkout Session ${checkoutSessionId} was not completed and nothing was charged (Amazon Pay cancels it after 24 hours): complete ${claimed.claimedBy}`;
  throw new CheckoutCompletedByAnotherSessionError(message, checkout.subscriptionId, claimed.claimedBy);
}

function startInput(checkout: CheckoutRow, terms: CheckoutTerms, anchor: BillingAnchor) {
  return {
    id: checkout.subscriptionId,
    plan: terms.plan,
    anchor,
    ...(terms.trial ? { trial: terms.trial } : {}),
    ...(terms.end ? { end: terms.end } : {}),
    ...(terms.softDescriptor ? { softDescriptor: terms.softDescriptor } : {}),
    ...(terms.merchantMetadata ? { merchantMetadata: terms.merchantMetadata } : {}),
  };
}

/** The start's own checks with the anchor it will have, before anything is charged (e.g. an end that passed since the checkout was created). */
function assertStartable(deps: BillingClientDeps, checkout: CheckoutRow, terms: CheckoutTerms, anchor: BillingAnchor): void {
  const spec: SubscriptionSpec = {
    ...startInput(checkout, terms, anchor),
    chargePermissionId: 'S00-0000000-0000000',
    ...(terms.paymentIntent === 'Confirm' ? {} : { firstChargeId: 'S00-0000000-0000000-C000000' }),
  };
  const problems = validateSubscriptionSpecWithSchedule(spec, { environment: deps.environment }).filter(
    (p) => p.field !== 'chargePermissionId' && p.field !== 'firstChargeId',
  );
  if (problems.length === 0) problems.push(...limitProblems(terms));
  if (problems.length > 0) {
    throw new ConflictError(
      `The terms of the checkout of subscription ${checkout.subscriptionId} no longer start a subscription now (${problems.map((p) => `${p.field} ${p.message}`).join('; ')}); nothing was completed or charged: create the checkout again with terms that hold, and show the buyer the new button`,
    );
  }
}

/** The plan against the limits of the permission the checkout creates (amazon-checks.ts), as problems. */
function limitProblems(terms: CheckoutTerms): Problem[] {
  try {
    assertCheckoutPlanWithinLimits(capTermsOf(terms.plan, terms.end), 'plan.amountMinor');
    return [];
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
}

/**
 * Complete Checkout Session with exactly the session's amounts and the idempotency key of the
 * session and the checkout's `refusals` so far (keys.ts): retries after 429/5xx/timeouts and
 * concurrent calls send the same key, so Amazon replays instead of completing twice. The session as
 * Amazon then has it; a refusal becomes the caller's answer. After InvalidCheckoutSessionStatus or
 * CheckoutSessionCanceled the session is read again: a session Completed meanwhile (a concurrent
 * call, a lost answer) is a success. A refusal that leaves the session Open (not approved yet,
 * AmountMismatch) calls `refused` before it is thrown: Amazon replays a saved refusal to its key
 * (API reference §3), so the next complete must send a new one or the session could never complete.
 */
async function complete(
  deps: BillingClientDeps,
  amazonPay: AmazonPayClient,
  session: CheckoutSession,
  refusals: number,
  refused: () => Promise<void>,
): Promise<CheckoutSession> {
  const id = session.checkoutSessionId;
  const amounts = session.paymentDetails ?? {};
  const body = {
    ...(amounts.chargeAmount ? { chargeAmount: amounts.chargeAmount } : {}),
    ...(amounts.totalOrderAmount ? { totalOrderAmount: amounts.totalOrderAmount } : {}),
  };
  const decision = completeDecisionOf(await amazonPay.completeCheckoutSession(id, body, { idempotencyKey: checkoutCompleteIdempotencyKey(id, refusals) }));
  switch (decision.kind) {
    case 'completed':
      // Amazon's answer may leave fields out (reference §2.2): Get is authoritative when it lacks the permission.
      return decision.session.chargePermissionId ? decision.session : sessionOrThrow(await amazonPay.getCheckoutSession(id), id);
    case 'invalid_status':
    case 'canceled': {
      const now = sessionOrThrow(await amazonPay.getCheckoutSession(id), id);
      const standing = checkoutSessionStanding(now);
      if (standing.state === 'completed') return now;
      if (standing.state === 'open') {
        await refused();
        throw refusal(
          'InvalidCheckoutSessionStatus',
          now,
          `Checkout Session ${id} cannot be completed yet: Amazon Pay answered InvalidCheckoutSessionStatus (${decision.message}); the buyer has not approved the payment on Amazon's page: send them to webCheckoutDetails.amazonPayRedirectUrl, or wait for them to return to your result URL, then complete again`,
        );
      }
      return now;
    }
    case 'amount_mismatch':
      await refused();
      throw refusal(
        'AmountMismatch',
        session,
        `Checkout Session ${id} was not completed: Amazon Pay answered ${decision.reasonCode} (${decision.message}) to the session's own amount ${priceText(amounts.chargeAmount)}; nothing was charged and the session stays open; check that nothing changed the session's amounts (Update Checkout Session), then complete again`,
      );
    case 'not_found':
      throw new NotFoundError('checkout_session', id, decision.message);
    case 'retry':
      throw new UpstreamError(
        `Amazon Pay Complete Checkout Session ${id} did not answer usefully (${decision.message}); complete again: the same request is replayed, never completed twice`,
        true,
      );
    case 'failed':
      throw new UpstreamError(`Amazon Pay refused Complete Checkout Session ${id} (${decision.reasonCode ?? 'no reason code'}: ${decision.message})`, false);
  }
}

function refusal(kind: CheckoutRefusal, session: CheckoutSession, message: string): CheckoutSessionError {
  return new CheckoutSessionError(
    kind,
    {
      checkoutSessionId: session.checkoutSessionId,
      state: session.statusDetails.state,
      reasonCode: session.statusDetails.reasonCode ?? null,
      chargePermissionId: session.chargePermissionId ?? null,
      chargeId: session.chargeId ?? null,
    },
    message,
  );
}

/** The answer for a session that is not (and will not be) Completed. */
function refusalFor(session: CheckoutSession, standing: Exclude<CheckoutSessionStanding, { state: 'completed' }>): CheckoutSessionError {
  const id = session.checkoutSessionId;
  switch (standing.state) {
    case 'expired':
      return refusal(
        'Expired',
        session,
        `Checkout Session ${id} expired: it was not completed within 24 hours of its creation, so Amazon Pay canceled it (Expired); nothing was charged; the buyer must check out again with your button`,
      );
    case 'canceled': {
      const why: Record<string, string> = {
        BuyerCanceled: 'the buyer canceled on the Amazon Pay page',
        Declined: 'the payment was declined',
        AmazonCanceled: 'Amazon Pay canceled it',
      };
      return refusal(
        'Canceled',
        session,
        `Checkout Session ${id} was canceled (${standing.reasonCode}): ${why[standing.reasonCode] ?? 'Amazon Pay says so'}; nothing was charged and no subscription started; the buyer may check out again with your button${standing.reasonCode === 'Declined' ? ' and another payment method' : ''}`,
      );
    }
    case 'open':
    case 'unknown':
      return refusal(
        'InvalidCheckoutSessionStatus',
        session,
        `Checkout Session ${id} is ${standing.state === 'open' ? 'Open' : standing.detail}: it cannot start a subscription; complete it again later, or check it in Seller Central`,
      );
  }
}

function oneTimeMessage(session: CheckoutSession, standing: { chargePermissionId: string; chargeId: string | null }, subscriptionId: string): string {
  const charged = standing.chargeId
    ? ` Charge ${standing.chargeId} (${priceText(session.paymentDetails?.chargeAmount)}) stands as a one-time payment: deliver one period, or refund or cancel it in Seller Central.`
    : ' Nothing was charged.';
  return `The buyer did not agree to save the payment method: Amazon Pay created a OneTime Charge Permission (${standing.chargePermissionId}), which cannot be charged again, so subscription ${subscriptionId} was not started.${charged} To subscribe, the buyer checks out again with your button and agrees to save the payment method.`;
}
