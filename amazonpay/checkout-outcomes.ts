// What a Checkout Session and the answers of Get / Complete Checkout Session mean to the daemon
// (amazon-pay-checkout reference §2.2, §5.3, §5.4), beside amazonpay/outcomes.ts, which
// classifies every response: pure, no I/O. client/checkout/complete.ts acts on these decisions.
import type { AmazonPayOutcome } from './outcome-types.js';
import type { CheckoutSession } from './types.js';

/** Where a Checkout Session stands, as Get Checkout Session shows it. */
export type CheckoutSessionStanding =
  | { state: 'open' }
  | { state: 'completed'; chargePermissionId: string; chargeId: string | null }
  /** Canceled because nobody completed it within 24 hours (reasonCode Expired). */
  | { state: 'expired' }
  /** Canceled by the buyer, a declined payment or Amazon (BuyerCanceled, Declined, AmazonCanceled, or a code Amazon adds). */
  | { state: 'canceled'; reasonCode: string }
  /** A state Amazon does not document (or Completed without a Charge Permission): never acted on. */
  | { state: 'unknown'; detail: string };

export function checkoutSessionStanding(session: CheckoutSession): CheckoutSessionStanding {
  const { state, reasonCode } = session.statusDetails;
  if (state === 'Open') return { state: 'open' };
  if (state === 'Canceled') return reasonCode === 'Expired' ? { state: 'expired' } : { state: 'canceled', reasonCode: reasonCode ?? 'Canceled' };
  if (state === 'Completed' && typeof session.chargePermissionId === 'string' && session.chargePermissionId !== '') {
    return { state: 'completed', chargePermissionId: session.chargePermissionId, chargeId: session.chargeId ?? null };
  }
  return { state: 'unknown', detail: `${state}${reasonCode ? ` (${reasonCode})` : ''}${state === 'Completed' ? ' without a chargePermissionId' : ''}` };
}

/** What an answer of Complete Checkout Session means. */
export type CompleteDecision =
  /** 200, or 202 while the first authorization is pending: the session is Completed. */
  | { kind: 'completed'; session: CheckoutSession }
  /** 409 AmountMismatch or 400 CurrencyMismatch: the body's amount is not the session's; the session stays Open. */
  | { kind: 'amount_mismatch'; reasonCode: string; message: string }
  /** 422 InvalidCheckoutSessionStatus: Completed already, Canceled, or Open but not approved by the buyer: read the session to know which. */
  | { kind: 'invalid_status'; message: string }
  /** 400/422 CheckoutSessionCanceled: the buyer canceled or the payment failed; Get shows the reason. */
  | { kind: 'canceled'; message: string }
  /** 404 ResourceNotFound: no such session (or older than 30 days). */
  | { kind: 'not_found'; message: string }
  /** 429, 5xx, a timeout: the same call (same idempotency key) may succeed later; it may have been processed. */
  | { kind: 'retry'; message: string }
  /** Anything else (validation, authentication, configuration): no retry helps. */
  | { kind: 'failed'; reasonCode: string | null; message: string };

export function completeDecisionOf(outcome: AmazonPayOutcome<CheckoutSession>): CompleteDecision {
  if (outcome.kind === 'ok') return { kind: 'completed', session: outcome.body };
  const { message } = outcome;
  if (outcome.kind === 'throttled' || outcome.kind === 'transient') return { kind: 'retry', message };
  switch (outcome.reasonCode) {
    case 'AmountMismatch':
    case 'CurrencyMismatch':
      return { kind: 'amount_mismatch', reasonCode: outcome.reasonCode, message };
    case 'InvalidCheckoutSessionStatus':
      return { kind: 'invalid_status', message };
    case 'CheckoutSessionCanceled':
      return { kind: 'canceled', message };
    case 'ResourceNotFound':
      return { kind: 'not_found', message };
    default:
      return { kind: 'failed', reasonCode: outcome.reasonCode ?? null, message };
  }
}
