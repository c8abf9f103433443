// The one place where Amazon Pay outcomes become what Temporal sees: a typed result the
// workflow decides on, or an ApplicationFailure with an explicit type and retry stance.
// Types are stated explicitly (never derived from class names, which minifiers rename).
import { randomInt } from 'node:crypto';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { describeOutcome, type AmazonPayOutcome, type FailureOutcome } from '../amazonpay/outcomes.js';
import { AmazonReadFailed } from '../amazonpay/reads.js';
import type { FailureType, NonRetryableFailureType } from '../billing/vocabulary.js';

/** Short names for the failure types of billing/vocabulary.ts FAILURE_TYPES (their meanings are there). */
export const FailureTypes = {
  throttled: 'AmazonPayThrottled',
  transient: 'AmazonPayTransient',
  invalidRequest: 'AmazonPayInvalidRequest',
  duplicateCharge: 'DuplicateChargeRecorded',
  invalidInput: 'InvalidChargeInput',
} as const satisfies Record<string, FailureType>;

type RetryableOutcome = Extract<FailureOutcome, { kind: 'throttled' | 'transient' }>;

export function isRetryable(outcome: AmazonPayOutcome<unknown>): outcome is RetryableOutcome {
  return outcome.kind === 'throttled' || outcome.kind === 'transient';
}

/** Backoff of a throttled Create Charge: 0.5 s doubling to at most 10 s. */
export const THROTTLED_BACKOFF = { baseMs: 500, capMs: 10_000 } as const;
/** Backoff of a 5xx, timeout or reset: 2 s doubling to at most 5 minutes. */
export const TRANSIENT_BACKOFF = { baseMs: 2_000, capMs: 300_000 } as const;

/**
 * Retryable failure with full-jitter-style backoff chosen here, so many workflows throttled at
 * once do not retry in lockstep: delay = random in [cap/2, cap], cap = base·2^(attempt-1).
 * A 429 backs off for at most 10 s: the server-side cap on the charges queue already keeps all
 * replicas under the quota, so a 429 means the two token buckets drifted apart, not that Amazon
 * is overloaded. With a one-minute ceiling the last charges of a billing day waited out their
 * fifth or sixth backoff after everything else was done (measured: a 24 s tail on 5,000).
 * A 429 is handled as designed, so it is BENIGN: the SDK logs its "Activity failed" at debug
 * level instead of warn (and does not count it as an error in its metrics); a 5xx stays a warning.
 */
export function retryableFailure(outcome: RetryableOutcome, activityAttempt: number): ApplicationFailure {
  const throttled = outcome.kind === 'throttled';
  const { baseMs, capMs } = throttled ? THROTTLED_BACKOFF : TRANSIENT_BACKOFF;
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(activityAttempt - 1, 20));
  const delayMs = Math.floor(ceiling / 2) + randomInt(Math.max(1, Math.ceil(ceiling / 2)));
  return ApplicationFailure.create({
    type: throttled ? FailureTypes.throttled : FailureTypes.transient,
    message: describeOutcome(outcome),
    nonRetryable: false,
    nextRetryDelay: delayMs,
    ...(throttled ? { category: ApplicationFailureCategory.BENIGN } : {}),
    details: [{ status: outcome.status ?? null, reasonCode: outcome.reasonCode ?? null, requestId: outcome.requestId ?? null }],
  });
}

export function nonRetryableFailure(type: NonRetryableFailureType, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : [] });
}

/**
 * A failed Amazon Pay read (amazonpay/reads.ts) as the activity's failure: after a 429 or a
 * transient fault retryable with the backoff above, otherwise non-retryable
 * AmazonPayInvalidRequest carrying Amazon's request id. Anything else is rethrown as it is.
 */
export function failureOfRead(error: unknown, activityAttempt: number): unknown {
  if (!(error instanceof AmazonReadFailed)) return error;
  const outcome = error.outcome;
  if (isRetryable(outcome)) return retryableFailure(outcome, activityAttempt);
  return nonRetryableFailure(FailureTypes.invalidRequest, error.message, { requestId: outcome.requestId ?? null });
}

/** Runs an activity body that reads Amazon Pay; a failed read leaves it as failureOfRead says. Call inside an activity only. */
export async function withReadFailures<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw failureOfRead(error, Context.current().info.attempt);
  }
}
