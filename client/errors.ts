// Typed errors of the admin client: each names what a caller can do about it. The CLI maps
// them to exit codes (cli/exit-codes.ts); a merchant backend maps them to HTTP answers.
import type { Problem } from '../billing/types.js';

export abstract class BillingClientError extends Error {
  abstract readonly code:
    'not_found' | 'invalid_input' | 'charge_permission_not_chargeable' | 'conflict' | 'upstream' | 'checkout_session' | 'not_configured' | 'checkout_required';
}

export type NotFoundKind = 'subscription' | 'charge' | 'charge_permission' | 'workflow' | 'api_key' | 'webhook_endpoint' | 'event' | 'checkout_session';

const KIND_NAMES: Record<NotFoundKind, string> = {
  subscription: 'Subscription',
  charge: 'Charge',
  charge_permission: 'Charge Permission',
  workflow: 'Workflow of subscription',
  api_key: 'API key',
  webhook_endpoint: 'Webhook endpoint',
  event: 'Event',
  checkout_session: 'Checkout Session',
};

/** The thing asked for does not exist (in our database, or at Amazon Pay). */
export class NotFoundError extends BillingClientError {
  override name = 'NotFoundError';
  readonly code = 'not_found' as const;
  constructor(
    readonly kind: NotFoundKind,
    readonly id: string,
    detail?: string,
  ) {
    super(`${KIND_NAMES[kind]} ${id} not found${detail ? `: ${detail}` : ''}`);
  }
}

/** Input refused before anything was changed; `problems` name each field and what is accepted. */
export class InvalidInputError extends BillingClientError {
  override name = 'InvalidInputError';
  readonly code = 'invalid_input' as const;
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => `${p.field} ${p.message}`).join('; '));
  }
  get field(): string {
    return this.problems[0]?.field ?? 'input';
  }
  static of(field: string, message: string): InvalidInputError {
    return new InvalidInputError([{ field, message }]);
  }
}

/** Amazon Pay says the Charge Permission cannot be billed (closed, payment method missing, wrong type or currency). */
export class ChargePermissionNotChargeableError extends BillingClientError {
  override name = 'ChargePermissionNotChargeableError';
  readonly code = 'charge_permission_not_chargeable' as const;
  constructor(
    readonly chargePermissionId: string,
    readonly state: string,
    readonly reasons: string[],
    explanation: string,
  ) {
    super(`Charge Permission ${chargePermissionId} cannot be billed: ${explanation}`);
  }
}

/** One term a request gives differently from what is stored: `field` is the library's dotted path (plan.amountMinor), values as shown to people. */
export interface TermDifference {
  field: string;
  stored: string;
  requested: string;
}

/**
 * The request contradicts what exists: same id with other terms, a subscription that already
 * ended, … With `differences`, the message is `summary: field stored ≠ requested; …` in the
 * library's field names; each edge (API, CLI) renders the differences under its own names.
 */
export class ConflictError extends BillingClientError {
  override name = 'ConflictError';
  readonly code = 'conflict' as const;
  readonly summary: string;
  /**
   * `retryAfterSeconds` marks a conflict that clears by itself or by another request (a refund
   * of the same charge still unconfirmed): the HTTP API answers it with Retry-After and does not
   * bind its Idempotency-Key to it. Without it the conflict is the lasting state of the
   * subscription (it has finished, it exists with other terms).
   */
  constructor(
    summary: string,
    readonly differences: TermDifference[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(differences.length === 0 ? summary : `${summary}: ${differences.map((d) => `${d.field} ${d.stored} ≠ ${d.requested}`).join('; ')}`);
    this.summary = summary;
  }
}

/**
 * A Checkout Session of a checkout another session completes or completed: this one was not
 * completed and nothing was charged (client/checkout/complete.ts). `subscriptionId` is the
 * checkout's subscription, started (or being started) by `completedBy`; the HTTP API answers
 * 409 checkout-completed-by-another-session with it, so a return page can show that subscription.
 */
export class CheckoutCompletedByAnotherSessionError extends ConflictError {
  override name = 'CheckoutCompletedByAnotherSessionError';
  constructor(
    message: string,
    readonly subscriptionId: string,
    readonly completedBy: string,
  ) {
    super(message);
  }
}

/** Amazon Pay or Temporal did not answer usefully (throttled, down, refused for a reason we cannot fix here). */
export class UpstreamError extends BillingClientError {
  override name = 'UpstreamError';
  readonly code = 'upstream' as const;
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * Why a Checkout Session did not start a subscription (client/checkout/complete.ts), each with what
 * to do in the message:
 * - AmountMismatch: Complete Checkout Session's amount differed from the session's (409 at Amazon Pay);
 * - InvalidCheckoutSessionStatus: the session cannot be completed now (the buyer has not approved
 *   the payment yet, or it was completed elsewhere without a Charge Permission to bill);
 * - Expired: not completed within 24 hours (Canceled / Expired);
 * - Canceled: the buyer canceled, the payment was declined, or Amazon canceled it (reasonCode says which);
 * - OneTime: the buyer did not agree to save the payment method: the Charge Permission is OneTime.
 * Nothing was started; for OneTime, a charge made at checkout stands as a one-time payment.
 */
export type CheckoutRefusal = 'AmountMismatch' | 'InvalidCheckoutSessionStatus' | 'Expired' | 'Canceled' | 'OneTime';

export class CheckoutSessionError extends BillingClientError {
  override name = 'CheckoutSessionError';
  readonly code = 'checkout_session' as const;
  constructor(
    readonly refusal: CheckoutRefusal,
    readonly session: { checkoutSessionId: string; state: string; reasonCode: string | null; chargePermissionId: string | null; chargeId: string | null },
    message: string,
  ) {
    super(message);
  }
}

/** A feature this daemon is not configured for (e.g. checkout without a Store ID); `setting` names what to set. */
export class NotConfiguredError extends BillingClientError {
  override name = 'NotConfiguredError';
  readonly code = 'not_configured' as const;
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Why a plan change needs the buyer to check out again (client/subscriptions/plan-terms.ts):
 * under PSD2 (Amazon Pay region eu: the EU and the UK) a higher amount or another frequency must
 * reach the buyer's bank with the buyer present, which only checkout can do; Amazon Pay's rule is
 * to close the Charge Permission and run checkout again (amazon-pay-checkout reference §8).
 */
export type CheckoutRequiredReason = 'HigherAmount' | 'FrequencyChange';

/** A plan change refused before anything changed (Amazon Pay or the subscription), with the re-checkout path in the message. */
export class CheckoutRequiredError extends BillingClientError {
  override name = 'CheckoutRequiredError';
  readonly code = 'checkout_required' as const;
  constructor(
    readonly subscriptionId: string,
    readonly chargePermissionId: string,
    readonly reasons: CheckoutRequiredReason[],
    message: string,
  ) {
    super(message);
  }
}
