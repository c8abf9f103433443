// Completing a charge's ledger row with what Amazon Pay answered to Create Charge, and what that
// answer means to the workflow: two pure mappings and one write, kept apart from the call
// itself (activities/charges.ts). The row was inserted as pending before the call.
import { mayHaveBeenProcessed, type AmazonPayOutcome } from '../amazonpay/outcomes.js';
import type { Charge } from '../amazonpay/types.js';
import { isChargeStateIn, PAID_CHARGE_STATES, type LedgerOnlyState } from '../billing/vocabulary.js';
import type { Database } from '../db/client.js';
import { completeCharge, type LedgerCompletion } from '../db/queries/charges.js';
import type { ChargeResult } from '../workflows/types.js';
import { FailureTypes, isRetryable, nonRetryableFailure } from './errors.js';

/** One charge attempt's ledger row: (subscription, cycle, attempt). */
export interface LedgerKey {
  subscriptionId: string;
  cycle: number;
  attempt: number;
}

/**
 * What the row records (the ledger states of billing/vocabulary.ts): the Charge's own state and
 * ChargeId when Amazon Pay created one; `pending` after a 429/5xx (retried with the same key);
 * `failed` after an invalid request; `Refused` after any other error answer (a decline, a
 * permission state, a limit), for which Amazon Pay created no Charge. Never `Declined`: that is
 * the state of an existing Charge (Amazon Pay "Asynchronous processing").
 */
export function completionOf(outcome: AmazonPayOutcome<Charge>, at: Date): LedgerCompletion {
  const answered = { amazonRequestId: outcome.requestId ?? null, completedAt: at, mayHaveBeenProcessed: mayHaveBeenProcessed(outcome) };
  if (outcome.kind === 'ok') {
    const details = outcome.body.statusDetails;
    return { state: details.state, outcome: 'ok', chargeId: outcome.body.chargeId, reasonCode: details.reasonCode ?? null, ...answered };
  }
  const noCharge: LedgerOnlyState = isRetryable(outcome) ? 'pending' : outcome.kind === 'invalid_request' ? 'failed' : 'Refused';
  return { state: noCharge, outcome: outcome.kind, chargeId: null, reasonCode: outcome.reasonCode ?? null, ...answered };
}

/**
 * The same completion as completionOf, rebuilt from what the chargeCycle activity returned to the
 * workflow (its ChargeResult, as Temporal's history keeps it) instead of Amazon Pay's answer:
 * what `billing repair` writes for an attempt whose ledger row a database restore lost
 * (client/subscriptions/ledger-from-history.ts). Null for `not_sent`: nothing was sent, and the
 * activity left no row. A throttled/transient answer never completes the activity, so it never
 * appears here.
 */
export function completionOfResult(result: ChargeResult, at: Date): LedgerCompletion | null {
  if (result.kind === 'not_sent') return null;
  const answered = { amazonRequestId: result.requestId, completedAt: at, mayHaveBeenProcessed: true };
  if (result.kind === 'charged' || result.kind === 'pending')
    return { state: result.state, outcome: 'ok', chargeId: result.chargeId, reasonCode: null, ...answered };
  const noCharge: LedgerOnlyState = result.kind === 'invalid_request' ? 'failed' : 'Refused';
  return { state: noCharge, outcome: result.kind, chargeId: null, reasonCode: result.reasonCode ?? null, ...answered };
}

/**
 * Writes Create Charge's answer to the attempt's ledger row, with its event (charge.succeeded's
 * period ends at `periodEnd`, the next cycle's billing date when known). A second successful charge for one
 * cycle is refused by PostgreSQL (unique index): that becomes a non-retryable
 * DuplicateChargeRecorded failure naming both; other database errors are thrown as they are
 * (the activity is retried with the same idempotency key).
 */
export async function completeLedgerRow(
  db: Database,
  key: LedgerKey,
  outcome: AmazonPayOutcome<Charge>,
  at: Date,
  periodEnd: Date | null = null,
): Promise<void> {
  try {
    await completeCharge(db, key, completionOf(outcome, at), { periodEnd });
  } catch (error) {
    if (outcome.kind === 'ok' && isUniqueViolation(error)) {
      const chargeId = outcome.body.chargeId;
      throw nonRetryableFailure(
        FailureTypes.duplicateCharge,
        `cycle ${key.cycle} of ${key.subscriptionId} already has a successful charge; Amazon Pay returned another (${chargeId})`,
        { chargeId },
      );
    }
    throw error;
  }
}

/** What a non-retryable Create Charge answer means to the workflow (a 429/5xx never reaches it: the activity is retried). */
export function chargeResultOf(outcome: Exclude<AmazonPayOutcome<Charge>, { kind: 'throttled' | 'transient' }>): ChargeResult {
  const requestId = outcome.requestId ?? null;
  if (outcome.kind !== 'ok') return { kind: outcome.kind, reasonCode: outcome.reasonCode, message: outcome.message, requestId };
  const { chargeId, statusDetails } = outcome.body;
  const state = statusDetails.state;
  if (isChargeStateIn(state, PAID_CHARGE_STATES))
    return { kind: 'charged', chargeId, state: state as 'Captured' | 'Authorized' | 'CaptureInitiated', requestId };
  if (state === 'AuthorizationInitiated') return { kind: 'pending', chargeId, state: 'AuthorizationInitiated', requestId };
  // A 201 with a Declined/Canceled charge is not documented; treat it like a soft decline.
  return { kind: 'soft_decline', reasonCode: statusDetails.reasonCode ?? state, message: `charge ${chargeId} is ${state}`, requestId };
}

function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as { code?: string }).code === '23505' || (error as { cause?: { code?: string } }).cause?.code === '23505')
  );
}
