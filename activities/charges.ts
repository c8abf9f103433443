import { Context } from '@temporalio/activity';
import type { AmazonPayClient } from '../amazonpay/client.js';
import type { AmazonPayRegion } from '../amazonpay/config.js';
import type { CreateChargeRequest } from '../amazonpay/types.js';
import { chargeIdempotencyKey } from '../billing/keys.js';
import { money, toAmazonPrice } from '../billing/money.js';
import type { Database } from '../db/client.js';
import { claimChargeSend } from '../db/queries/charges.js';
import type { ChargeCycleInput, ChargeResult } from '../workflows/types.js';
import { chargeResultOf, completeLedgerRow } from './charge-ledger.js';
import { FailureTypes, isRetryable, nonRetryableFailure, retryableFailure } from './errors.js';
import { recordStatusChange } from './subscription-writes.js';

export interface ChargeDeps {
  db: Database;
  amazonPay: AmazonPayClient;
  now: () => Date;
  region?: AmazonPayRegion;
  /** Waits for the next Create Charge slot of all replicas (activities/call-spacer.ts sharedCallSpacer); none: call at once. */
  spaceCalls?: () => Promise<void>;
  /**
   * The Create Charge rate limit this worker runs under (temporal.yaml rateLimits.createChargePerSecond),
   * stored on each ledger row: the forecast's evidence of what held a peak back (client/subscriptions/capacity-evidence.ts).
   */
  createChargePerSecond?: number;
  /** Prometheus hook (daemon/metrics.ts); lag = now − when the workflow first scheduled this charge (≈ its due time). */
  metrics?: { onChargeOutcome(kind: string, lagMs: number): void };
}

/**
 * Create Charge for one (subscription, cycle, attempt). The idempotency key is derived from
 * those, so every retry of this activity — after a 429, a 5xx, a timeout, a worker crash —
 * sends the same key and Amazon Pay replays instead of charging again. Around the call: the
 * pending ledger row before it, its completion after it (activities/charge-ledger.ts) and, when
 * paid, the subscription's next status (ChargeCycleInput.onPaid). With `notSentAfterStop`, a
 * send is skipped when a stop "now" was recorded, or a stop at period end whose last billable
 * cycle is before this one (client/subscriptions/stop-at-period-end.ts), and no earlier request with this key may have
 * been processed by Amazon Pay — a first send, or a retry after a 429 or a crash before sending
 * (result `not_sent`, no ledger row left behind; db/queries/charges.ts claimChargeSend).
 */
export function createChargeActivities(deps: ChargeDeps) {
  return {
    async chargeCycle(input: ChargeCycleInput): Promise<ChargeResult> {
      const stopHeartbeats = heartbeatWhileRunning();
      try {
        return await chargeCycleAttempt(deps, input);
      } finally {
        stopHeartbeats();
      }
    },
  };
}

/** How often a running Create Charge attempt heartbeats (the charges worker sends each at once: daemon/workers.ts). */
export const CHARGE_HEARTBEAT_EVERY_MS = 4_000;

/**
 * Heartbeats every CHARGE_HEARTBEAT_EVERY_MS until the returned function is called, when the
 * attempt has a heartbeat timeout (runs from patch charge-attempt-heartbeat on). None at the start:
 * an attempt shorter than the interval (nearly all) costs the server no heartbeat; the timeout
 * Temporal starts with the attempt already catches one that never ran.
 */
function heartbeatWhileRunning(): () => void {
  const context = Context.current();
  if (!context.info.heartbeatTimeoutMs) return () => {};
  const timer = setInterval(() => context.heartbeat(), CHARGE_HEARTBEAT_EVERY_MS);
  return () => clearInterval(timer);
}

async function chargeCycleAttempt(deps: ChargeDeps, input: ChargeCycleInput): Promise<ChargeResult> {
  let idempotencyKey: string;
  let amountMinor: bigint;
  try {
    idempotencyKey = chargeIdempotencyKey(input);
    amountMinor = BigInt(input.amountMinor);
  } catch (error) {
    throw nonRetryableFailure(FailureTypes.invalidInput, (error as Error).message);
  }
  const key = { subscriptionId: input.subscriptionId, cycle: input.cycle, attempt: input.attempt };

  const body: CreateChargeRequest = {
    chargePermissionId: input.chargePermissionId,
    chargeAmount: toAmazonPrice(money(amountMinor, input.currency)),
    captureNow: true,
    canHandlePendingAuthorization: input.canHandlePendingAuthorization,
    ...(input.softDescriptor ? { softDescriptor: input.softDescriptor } : {}),
    merchantMetadata: { merchantReferenceId: `${input.subscriptionId}:${input.cycle}`, ...input.merchantMetadata },
  };
  await deps.spaceCalls?.();
  // Last moment before sending, on every attempt: a stop recorded meanwhile (client/subscriptions/
  // stop-now.ts, or stop-at-period-end.ts for a cycle after the stop's) means nothing is sent unless an earlier request with
  // this key may have been processed (then it is resent with its key, to learn its outcome).
  // A 429 or a crash before the send leaves nothing processed, so its retry is not sent.
  const claim = await claimChargeSend(deps.db, {
    ...key,
    idempotencyKey,
    amountMinor,
    currency: input.currency,
    honourStop: input.notSentAfterStop === true,
    rateLimitPerSecond: deps.createChargePerSecond ?? null,
  });
  if (!claim.claimed) return { kind: 'not_sent', reason: claim.stopReason, status: claim.stopStatus };
  const outcome = await deps.amazonPay.createCharge(body, { idempotencyKey });
  deps.metrics?.onChargeOutcome(outcome.kind, deps.now().getTime() - Context.current().info.scheduledTimestampMs);
  // charge.succeeded's period ends where the next cycle is due, known here when the cycle is paid on the plain path.
  const periodEnd = input.onPaid?.cycle === input.cycle + 1 && input.onPaid.nextBillingAt ? new Date(input.onPaid.nextBillingAt) : null;
  await completeLedgerRow(deps.db, key, outcome, deps.now(), periodEnd);
  // A 429/5xx: retried by Temporal with the same key (the row stays pending meanwhile).
  if (isRetryable(outcome)) throw retryableFailure(outcome, Context.current().info.attempt);
  const result = chargeResultOf(outcome);
  if (result.kind !== 'charged') return result;
  // Paid: the subscription moves on with its ledger row, in this same activity (one activity
  // per cycle, see README "What a cycle costs Temporal"); a retry rewrites the same values.
  if (input.onPaid) await recordStatusChange(deps.db, input.onPaid, deps.now(), deps.region);
  return { ...result, statusRecorded: input.onPaid !== undefined };
}
