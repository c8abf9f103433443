// Deterministic identifiers: Temporal workflow ids and Amazon Pay idempotency keys.
// Only activities and the client make keys, so node:crypto does the hashing; workflow code
// may not import this module (the lint wall in eslint.config.js).
//
// FROZEN FORMAT: Amazon Pay keeps idempotency keys per merchant forever, and a retry after a
// timeout must send the very key of the first try. Changing anything below that feeds a key
// (prefix, tuple encoding, hash, truncation) makes in-flight retries look like new charges,
// which charges the buyer twice. Add a new versioned function instead of editing these.

import { createHash } from 'node:crypto';

import { CHARGE_ID_PATTERN, CHARGE_PERMISSION_ID_PATTERN, CHECKOUT_SESSION_ID_PATTERN, SUBSCRIPTION_ID_PATTERN } from './plan-rules.js';

const WORKFLOW_ID_PREFIX = 'subscription-';
/** Amazon Pay: at most 32 characters of a-z A-Z 0-9 - _. Every key we make is exactly this long. */
export const IDEMPOTENCY_KEY_LENGTH = 32;
/** 16 base64url characters = 96 bits; the readable prefix limits below guarantee at least this much hash. */
const MIN_HASH_CHARS = 16;
const MAX_CYCLE = 999_999_999;
const MAX_SEQ = 9_999;

/** Workflow id of a subscription, readable in the Temporal Web UI: 'subscription-<id>'. */
export function subscriptionWorkflowId(subscriptionId: string): string {
  if (!SUBSCRIPTION_ID_PATTERN.test(subscriptionId)) {
    throw new Error(`Invalid subscription id ${JSON.stringify(subscriptionId)}: expected 1 to 64 characters of A-Z a-z 0-9 _ . : -`);
  }
  return WORKFLOW_ID_PREFIX + subscriptionId;
}

/** Inverse of subscriptionWorkflowId; throws for ids that no subscription workflow would have. */
export function subscriptionIdFromWorkflowId(workflowId: string): string {
  const id = workflowId.startsWith(WORKFLOW_ID_PREFIX) ? workflowId.slice(WORKFLOW_ID_PREFIX.length) : undefined;
  if (id === undefined || !SUBSCRIPTION_ID_PATTERN.test(id)) {
    throw new Error(
      `Not a subscription workflow id: ${JSON.stringify(workflowId)}; expected "${WORKFLOW_ID_PREFIX}" followed by 1 to 64 characters of A-Z a-z 0-9 _ . : -`,
    );
  }
  return id;
}

export interface ChargeKeyInput {
  subscriptionId: string;
  chargePermissionId: string;
  /** 0-based billing cycle (cycle 0 is the first charge). */
  cycle: number;
  /**
   * 1-based deliberate attempt for this cycle. A retry after 429/5xx/timeout reuses the same
   * attempt (same key, Amazon replays); a dunning re-try after a decline bumps it (new key).
   */
  attempt: number;
}

/**
 * Create Charge idempotency key: 'c<cycle>a<attempt>_' + base64url(SHA-256(tuple)) truncated so the
 * key is exactly 32 characters (at least 96 bits of hash). The hash covers the whole tuple,
 * including the Charge Permission, so a subscription id reused on a new permission gets new keys.
 */
export function chargeIdempotencyKey(input: ChargeKeyInput): string {
  const { subscriptionId, chargePermissionId, cycle, attempt } = input;
  if (!SUBSCRIPTION_ID_PATTERN.test(subscriptionId)) {
    throw new Error(`Invalid subscriptionId ${JSON.stringify(subscriptionId)} for a charge key: expected 1 to 64 characters of A-Z a-z 0-9 _ . : -`);
  }
  if (!CHARGE_PERMISSION_ID_PATTERN.test(chargePermissionId)) {
    throw new Error(`Invalid chargePermissionId ${JSON.stringify(chargePermissionId)} for a charge key: expected e.g. "S01-1234567-1234567"`);
  }
  assertIntegerInRange('cycle', cycle, 0, MAX_CYCLE);
  assertIntegerInRange('attempt', attempt, 1, MAX_SEQ);
  // JSON of an array of strings/numbers is an unambiguous encoding of the tuple.
  const encoding = JSON.stringify(['amazon-pay-charge/v1', subscriptionId, chargePermissionId, cycle, attempt]);
  return keyFromParts(`c${cycle}a${attempt}_`, encoding);
}

export interface RefundKeyInput {
  chargeId: string;
  /** 1-based sequence of refunds against this charge (first refund = 1). */
  refundSeq: number;
}

/** Create Refund idempotency key: 'r<refundSeq>_' + truncated base64url SHA-256 of (chargeId, refundSeq); exactly 32 characters. */
export function refundIdempotencyKey(input: RefundKeyInput): string {
  const { chargeId, refundSeq } = input;
  if (!CHARGE_ID_PATTERN.test(chargeId)) {
    throw new Error(`Invalid chargeId ${JSON.stringify(chargeId)} for a refund key: expected e.g. "S01-1234567-1234567-C123456"`);
  }
  assertIntegerInRange('refundSeq', refundSeq, 1, MAX_SEQ);
  const encoding = JSON.stringify(['amazon-pay-refund/v1', chargeId, refundSeq]);
  return keyFromParts(`r${refundSeq}_`, encoding);
}

/**
 * Complete Checkout Session idempotency key for `checkoutSessionId` after `refusals` definitive
 * refusals of this checkout's complete (db/schema/checkouts.ts completeRefusals, 0 to 9,999);
 * exactly 32 characters. 0: 'k_' + truncated base64url SHA-256 of the session id (the frozen
 * format, so completes in flight keep their key); n > 0: 'k<n>_' + the hash of (id, n). Every retry
 * of one attempt (a lost answer, 429/5xx, two concurrent calls) sends the same key and body, so
 * Amazon replays instead of completing twice. Amazon also replays a saved 4xx to its key (API
 * reference §3), so after a refusal that leaves the session Open (not yet approved, AmountMismatch)
 * the count moves on and the next complete is a new request. Throws for a malformed id or count.
 */
export function checkoutCompleteIdempotencyKey(checkoutSessionId: string, refusals = 0): string {
  if (!CHECKOUT_SESSION_ID_PATTERN.test(checkoutSessionId)) {
    throw new Error(`Invalid checkoutSessionId ${JSON.stringify(checkoutSessionId)} for a complete key: expected e.g. "bd504926-f659-4ad7-a1a9-9a747aaf5275"`);
  }
  assertIntegerInRange('refusals', refusals, 0, MAX_SEQ);
  if (refusals === 0) return keyFromParts('k_', JSON.stringify(['amazon-pay-checkout-complete/v1', checkoutSessionId]));
  return keyFromParts(`k${refusals}_`, JSON.stringify(['amazon-pay-checkout-complete/v1', checkoutSessionId, refusals]));
}

/**
 * Capture Charge idempotency key for a charge authorized at checkout: 'cap_' + truncated
 * base64url SHA-256 of the ChargeId; exactly 32 characters. A charge is captured once, in full.
 */
export function captureIdempotencyKey(chargeId: string): string {
  if (!CHARGE_ID_PATTERN.test(chargeId)) {
    throw new Error(`Invalid chargeId ${JSON.stringify(chargeId)} for a capture key: expected e.g. "S01-1234567-1234567-C123456"`);
  }
  return keyFromParts('cap_', JSON.stringify(['amazon-pay-capture/v1', chargeId]));
}

function assertIntegerInRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Invalid ${name} ${String(value)} for an idempotency key: expected a whole number from ${min} to ${max}`);
  }
}

function keyFromParts(readable: string, encoding: string): string {
  const hashChars = IDEMPOTENCY_KEY_LENGTH - readable.length;
  if (hashChars < MIN_HASH_CHARS) throw new Error(`Readable key part ${readable} is too long`);
  return readable + createHash('sha256').update(encoding, 'utf8').digest('base64url').slice(0, hashChars);
}
