// Reading Amazon Pay for the subscriptions, in one place: Get Charge Permission, Get Charge,
// Get Refund, Close Charge Permission and the capture of a checkout authorization, each answer mapped to what the workflows understand
// (workflows/types.ts PermissionStatus, ChargeUpdate). The workflows' activities
// (activities/amazon.ts), the IPN reaction (ipn/reaction.ts, ipn/refund-reaction.ts) and
// reconciliation (daemon/housekeeping/jobs.ts) all read through here.
//
// One error style: a call that did not succeed throws AmazonReadFailed, which carries the
// outcome (amazonpay/outcomes.ts) and so says whether a retry can help; activities turn it into
// their Temporal failure in one place (activities/errors.ts failureOfRead). Every 429 is
// counted (onAmazonThrottled), whoever made the call.
import type { AmazonPayClient } from './client.js';
import { parseCompactTimestamp } from './compact-timestamp.js';
import { monthlyCapOf } from './monthly-caps.js';
import { describeOutcome, type AmazonPayOutcome, type FailureOutcome } from './outcomes.js';
import type { ChargePermission, Price, Refund } from './types.js';
import { captureIdempotencyKey } from '../billing/keys.js';
import type { ChargeUpdate, PermissionStatus } from '../workflows/types.js';

export interface AmazonReadDeps {
  amazonPay: AmazonPayClient;
  /** Prometheus hook (daemon/metrics.ts): one count per 429, labelled with the operation. */
  metrics?: { onAmazonThrottled(operation: string): void };
}

/** An Amazon Pay call that did not succeed; `outcome` says whether a retry can help. */
export class AmazonReadFailed extends Error {
  override name = 'AmazonReadFailed';
  constructor(
    readonly operation: string,
    readonly outcome: FailureOutcome,
  ) {
    super(`${operation}: ${describeOutcome(outcome)}`);
  }

  /** A 429 or a transient fault (5xx, timeout, reset): the same call may succeed later. */
  get retryable(): boolean {
    return this.outcome.kind === 'throttled' || this.outcome.kind === 'transient';
  }

  get throttled(): boolean {
    return this.outcome.kind === 'throttled';
  }
}

/** Amazon Pay does not know the object (404 ResourceNotFound). */
function isNotFound(outcome: AmazonPayOutcome<unknown>): boolean {
  return outcome.kind === 'permission_state' && outcome.reasonCode === 'ResourceNotFound';
}

/** The body of a successful answer; otherwise counts a 429 and throws AmazonReadFailed. */
function bodyOf<T>(deps: AmazonReadDeps, operation: string, outcome: AmazonPayOutcome<T>): T {
  if (outcome.kind === 'ok') return outcome.body;
  if (outcome.kind === 'throttled') deps.metrics?.onAmazonThrottled(operation);
  throw new AmazonReadFailed(operation, outcome);
}

/**
 * Maps Amazon's Charge Permission to what the workflow understands; an undocumented state is
 * never chargeable (never charge on a guess). Also carries the payment descriptor (e.g. "Visa
 * ****1111": a change is Amazon's own evidence that the buyer replaced the payment method), the
 * monthly cap (amazonpay/monthly-caps.ts) when known, and the expirationTimestamp (expiresAtOf).
 */
export function permissionStatusOf(permission: ChargePermission): PermissionStatus {
  const state = permission.statusDetails.state;
  const reasons = (permission.statusDetails.reasons ?? []).map((r) => r.reasonCode);
  const expiresAt = expiresAtOf(permission);
  const details = {
    paymentDescriptor: paymentDescriptorOf(permission),
    amountLimit: monthlyCapOf(permission),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
  if (state === 'Chargeable' || state === 'NonChargeable' || state === 'Closed') return { state: state as PermissionStatus['state'], reasons, ...details };
  return { state: 'NonChargeable', reasons: [`Unknown:${state}`], ...details };
}

/**
 * The permission's expirationTimestamp as an ISO instant; null when Amazon gives none (reference
 * API §5.4: null for Recurring and PaymentMethodOnFile in the sandbox, 180 days for OneTime);
 * undefined when the key is missing or not a compact timestamp: then this answer says nothing
 * about the expiry, and what was known stays.
 */
export function expiresAtOf(permission: { expirationTimestamp?: string | null }): string | null | undefined {
  const raw = permission.expirationTimestamp;
  if (raw === null) return null;
  return parseCompactTimestamp(raw)?.toISOString();
}

function paymentDescriptorOf(permission: ChargePermission): string | null {
  const descriptors = (permission.paymentPreferences ?? [])
    .map((p) => (p && typeof p === 'object' && 'paymentDescriptor' in p ? String(p.paymentDescriptor) : null))
    .filter((d) => d !== null);
  return descriptors.length > 0 ? descriptors.join(', ') : null;
}

/** Get Charge Permission, as a PermissionStatus; state NotFound when Amazon Pay does not know it. Throws AmazonReadFailed otherwise. */
export async function readPermissionStatus(deps: AmazonReadDeps, chargePermissionId: string): Promise<PermissionStatus> {
  const outcome = await deps.amazonPay.getChargePermission(chargePermissionId);
  if (isNotFound(outcome)) return { state: 'NotFound', reasons: ['ResourceNotFound'] };
  return permissionStatusOf(bodyOf(deps, 'getChargePermission', outcome));
}

/** Get Charge, as a ChargeUpdate (its state and reason code). Throws AmazonReadFailed when the call did not succeed, a 404 included. */
export async function readChargeUpdate(deps: AmazonReadDeps, chargeId: string): Promise<ChargeUpdate> {
  return chargeUpdateOf(bodyOf(deps, 'getCharge', await deps.amazonPay.getCharge(chargeId)));
}

/**
 * Capture Charge of an Authorized charge in full (`amount`, the authorized amount) with the
 * subscription's statement descriptor (`softDescriptor`, at most 16 bytes, null: Amazon's default;
 * Capture Charge takes it, API ref §6.2), with one
 * idempotency key per ChargeId (billing/keys.ts captureIdempotencyKey), and the charge's state
 * after it: Captured, CaptureInitiated (a capture Amazon finishes later), or, when Amazon refused
 * the capture, what Get Charge then shows — Declined (AmazonRejected), Canceled (ExpiredUnused:
 * not captured within 30 days, API ref §12.3), or Captured by an earlier try whose answer was
 * lost. Throws AmazonReadFailed when the capture did not happen and the charge is still
 * Authorized (the caller retries), or when a call failed.
 */
export async function captureAuthorizedCharge(deps: AmazonReadDeps, chargeId: string, amount: Price, softDescriptor: string | null): Promise<ChargeUpdate> {
  const body = { captureAmount: amount, ...(softDescriptor ? { softDescriptor } : {}) };
  const outcome = await deps.amazonPay.captureCharge(chargeId, body, { idempotencyKey: captureIdempotencyKey(chargeId) });
  if (outcome.kind === 'ok') return chargeUpdateOf(outcome.body);
  if (outcome.kind === 'throttled' || outcome.kind === 'transient') bodyOf(deps, 'captureCharge', outcome);
  const after = await readChargeUpdate(deps, chargeId);
  if (after.state !== 'Authorized') return after;
  throw new AmazonReadFailed('captureCharge', outcome);
}

function chargeUpdateOf(charge: { chargeId: string; statusDetails: { state: string; reasonCode?: string | null } }): ChargeUpdate {
  return { chargeId: charge.chargeId, state: charge.statusDetails.state, reasonCode: charge.statusDetails.reasonCode ?? null };
}

/** Get Refund; null when Amazon Pay does not know the refund. Throws AmazonReadFailed otherwise. */
export async function readRefund(deps: AmazonReadDeps, refundId: string): Promise<Refund | null> {
  const outcome = await deps.amazonPay.getRefund(refundId);
  if (isNotFound(outcome)) return null;
  return bodyOf(deps, 'getRefund', outcome);
}

/**
 * Close Charge Permission without cancelling pending charges (a charge in flight is finished
 * and recorded, never abandoned). Already closed (InvalidChargePermissionStatus) is the state
 * asked for and succeeds. `reason`: Amazon's closureReason, at most 255 characters. Throws
 * AmazonReadFailed otherwise.
 */
export async function closePermission(deps: AmazonReadDeps, chargePermissionId: string, reason: string): Promise<void> {
  const outcome = await deps.amazonPay.closeChargePermission(chargePermissionId, { closureReason: reason, cancelPendingCharges: false });
  if (outcome.kind === 'permission_state' && outcome.reasonCode === 'InvalidChargePermissionStatus') return;
  bodyOf(deps, 'closeChargePermission', outcome);
}
