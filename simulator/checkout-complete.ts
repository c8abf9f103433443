// Complete Checkout Session (amazon-pay-checkout reference §5): checks the session's state and the
// amounts, then creates the Charge Permission of the type the buyer accepted and, for Authorize /
// AuthorizeWithCapture, the first Charge (§5.4). Declines and cancellations end the session
// Canceled and answer CheckoutSessionCanceled once (§5.3 simulator assumption).
import { AmazonPayError } from './errors.js';
import { nextChargePermissionId } from './ids.js';
import { checkChargeable, recordNewCharge } from './ops-charges.js';
import { decideChargeOutcome, type ChargeOutcome } from './outcomes.js';
import { cancelCheckoutSession } from './checkout-session-store.js';
import { parsePrice, rejectUnknownFields, type JsonObject } from './validation.js';
import type { Engine } from './engine.js';
import type { ChargePermissionRecord, ChargePermissionType, CheckoutSessionRecord, StoredPrice } from './state.js';

/** Sandbox cards that end the checkout at Complete (API ref §11). */
const CARD_CANCELLATIONS: Readonly<Record<string, 'BuyerCanceled' | 'Declined'>> = { '3064': 'BuyerCanceled', '3434': 'Declined' };

function checkState(engine: Engine, session: CheckoutSessionRecord): void {
  if (session.state === 'Canceled') {
    if (!session.cancelReported) {
      session.cancelReported = true;
      engine.save();
      throw new AmazonPayError(
        'CheckoutSessionCanceled',
        `The Checkout Session was canceled (${session.reasonCode ?? 'unknown reason'}); nothing was charged.`,
      );
    }
    throw new AmazonPayError(
      'InvalidCheckoutSessionStatus',
      `The Checkout Session is Canceled (${session.reasonCode ?? 'unknown reason'}); it cannot be completed.`,
    );
  }
  if (session.state === 'Completed') {
    throw new AmazonPayError(
      'InvalidCheckoutSessionStatus',
      `The Checkout Session is already Completed (Charge Permission ${session.chargePermissionId ?? '?'}); Get Checkout Session shows the result.`,
    );
  }
  if (!session.buyer?.approved) {
    throw new AmazonPayError(
      'InvalidCheckoutSessionStatus',
      'The buyer has not approved the payment on the Amazon Pay page yet (send them to webCheckoutDetails.amazonPayRedirectUrl).',
    );
  }
}

/** The body's chargeAmount (and totalOrderAmount) must equal the session's exactly (§5.1, §5.2). */
function checkAmount(body: JsonObject, field: 'chargeAmount' | 'totalOrderAmount', expected: StoredPrice | null): void {
  const given = body[field];
  if (expected === null) {
    if (given !== undefined && given !== null) throw new AmazonPayError('AmountMismatch', `The Checkout Session has no ${field}; leave it out of Complete.`);
    return;
  }
  if (given === undefined || given === null) {
    throw new AmazonPayError('MissingParameterValue', `The parameter ${field} is missing; it must equal the Checkout Session's ${field}.`);
  }
  const parsed = parsePrice(given, field, { acceptNumbers: true });
  if (parsed.currency !== expected.currency) {
    throw new AmazonPayError('CurrencyMismatch', `${field}.currencyCode ${parsed.currency} differs from the Checkout Session's ${expected.currency}.`);
  }
  if (parsed.minor.toString() !== expected.minor) {
    throw new AmazonPayError('AmountMismatch', `${field} does not match the Checkout Session's ${field}.`);
  }
}

function acceptedType(session: CheckoutSessionRecord): ChargePermissionType {
  // A buyer who declines to save the payment method gets a OneTime Charge Permission (§5.4).
  return session.chargePermissionType !== 'OneTime' && session.buyer?.consentToSave ? session.chargePermissionType : 'OneTime';
}

function newChargePermission(engine: Engine, session: CheckoutSessionRecord, type: ChargePermissionType): ChargePermissionRecord {
  const d = session.paymentDetails;
  const recurringAmount = session.recurringMetadata?.amount ?? null;
  const currency = d.chargeAmount?.currency ?? recurringAmount?.currency ?? d.presentmentCurrency ?? 'USD';
  const now = engine.nowMs();
  return {
    chargePermissionId: nextChargePermissionId(engine.state, session.environment),
    environment: session.environment,
    type,
    currency,
    state: 'Chargeable',
    reasons: [],
    // A OneTime permission's limit is the order's amount (allowOvercharge is not simulated).
    amountLimitMinor: type === 'OneTime' ? ((d.totalOrderAmount ?? d.chargeAmount)?.minor ?? null) : null,
    frequency: type === 'OneTime' ? null : (session.recurringMetadata?.frequency ?? null),
    recurringAmountMinor: type === 'OneTime' ? null : (recurringAmount?.minor ?? null),
    merchantMetadata: { ...session.merchantMetadata },
    cardSuffix: session.buyer?.cardSuffix ?? '1111',
    createdAt: now,
    updatedAt: now,
    script: { next: [], mode: null },
  };
}

function decline(engine: Engine, session: CheckoutSessionRecord, reason: 'BuyerCanceled' | 'Declined' | 'AmazonCanceled', detail: string): never {
  cancelCheckoutSession(engine, session, reason);
  session.cancelReported = true;
  engine.save();
  throw new AmazonPayError('CheckoutSessionCanceled', `The Checkout Session was canceled (${reason}): ${detail}`);
}

/**
 * Completes an approved Open session; returns true when the first charge is pending
 * (AuthorizationInitiated: Complete answers 202, §5.4 simulator assumption). Simulation codes
 * (API ref §11): BuyerCanceled, AmazonCanceled, Declined, AuthorizationInitiated.
 */
export function completeSession(engine: Engine, session: CheckoutSessionRecord, body: JsonObject, simulationCode: string | undefined): boolean {
  rejectUnknownFields(body, ['chargeAmount', 'totalOrderAmount']);
  checkState(engine, session);
  checkAmount(body, 'chargeAmount', session.paymentDetails.chargeAmount);
  checkAmount(body, 'totalOrderAmount', session.paymentDetails.totalOrderAmount);
  const d = session.paymentDetails;
  const intent = d.paymentIntent ?? 'Confirm';
  if (simulationCode === 'BuyerCanceled' || simulationCode === 'AmazonCanceled' || simulationCode === 'Declined') {
    decline(engine, session, simulationCode, `simulation code ${simulationCode}.`);
  }
  if (simulationCode === 'AuthorizationInitiated' && (intent !== 'Authorize' || !d.canHandlePendingAuthorization)) {
    throw new AmazonPayError(
      'InvalidSandboxSimulationSpecified',
      'AuthorizationInitiated needs paymentIntent Authorize and canHandlePendingAuthorization: true.',
    );
  }
  const cardOutcome = CARD_CANCELLATIONS[session.buyer?.cardSuffix ?? ''];
  if (cardOutcome) decline(engine, session, cardOutcome, `the sandbox payment method ****${session.buyer?.cardSuffix ?? ''} simulates it.`);

  const cp = newChargePermission(engine, session, acceptedType(session));
  let outcome: Exclude<ChargeOutcome, { kind: 'decline' }> | undefined;
  if (intent !== 'Confirm' && d.chargeAmount) {
    checkChargeable(engine, cp, BigInt(d.chargeAmount.minor), d.chargeAmount.currency);
    const decided = decideChargeOutcome(cp, simulationCode, d.canHandlePendingAuthorization);
    if (decided.kind === 'decline') decline(engine, session, 'Declined', `the first charge was declined (${decided.reason}).`);
    outcome = decided;
  }
  engine.state.chargePermissions[cp.chargePermissionId] = cp;
  const charge =
    outcome && d.chargeAmount
      ? recordNewCharge(engine, cp, outcome, {
          amount: { minor: BigInt(d.chargeAmount.minor), currency: d.chargeAmount.currency },
          captureNow: intent === 'AuthorizeWithCapture',
          softDescriptor: d.softDescriptor,
          merchantMetadata: { ...session.merchantMetadata },
          providerReferenceId: session.providerMetadata?.providerReferenceId ?? null,
          platformId: session.platformId,
          chargeInitiator: 'CITU',
          channel: 'Web',
          idempotencyKey: null,
        })
      : undefined;
  session.state = 'Completed';
  session.chargePermissionId = cp.chargePermissionId;
  session.chargeId = charge?.chargeId ?? null;
  session.acceptedChargePermissionType = cp.type;
  session.updatedAt = engine.nowMs();
  engine.save();
  return charge?.state === 'AuthorizationInitiated';
}
