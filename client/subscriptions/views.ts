// JSON-safe views of database rows for callers of the library (bigint → digit string, Date → ISO).
import type { BillingAnchor, BillingInterval, SubscriptionStatus } from '../../billing/types.js';
import { recordedPeriodEndStopOf } from '../../db/queries/subscriptions.js';
import type { ChargeRow, RefundRow, SubscriptionEventRow, SubscriptionRow } from '../../db/schema/index.js';

export interface SubscriptionView {
  id: string;
  workflowId: string;
  chargePermissionId: string;
  environment: string;
  status: SubscriptionStatus;
  statusReason: string | null;
  /**
   * The plan going forward: the row is updated by every plan change (db/queries/subscriptions.ts
   * recordPlanChange), also one that applies only from the next cycle; the amount of the cycle in
   * progress and the cycle a change applies from are in `getSubscription().live` (the workflow's).
   */
  plan: { amountMinor: string; currency: string; interval: BillingInterval };
  anchor: BillingAnchor;
  trial: BillingInterval | null;
  end: { afterCycles: number } | { at: string } | null;
  firstChargeId: string | null;
  currentCycle: number;
  nextBillingAt: string | null;
  createdAt: string;
  endedAt: string | null;
  /** A stop "now" recorded (client/subscriptions/stop-now.ts) — when (ISO UTC) and why; null when none was asked for. */
  stopRequested: { at: string; reason: string } | null;
  /**
   * A stop at the end of the paid period recorded (client/subscriptions/stop-at-period-end.ts):
   * when it was asked for (ISO UTC), why (the reason it ends `canceled` with), the last cycle that
   * may still be billed (-1: none, nothing was billed yet) and when the subscription ends (ISO UTC,
   * the next cycle's billing date as known then; null when not known). Null when none was asked for.
   */
  stopAtPeriodEnd: { at: string; reason: string; afterCycle: number; endsAt: string | null } | null;
  /**
   * The Charge Permission's expirationTimestamp (ISO UTC) as Amazon Pay last answered it (start,
   * the workflow's checks, IPNs, reconciliation, plan changes); null when it has none.
   */
  permissionExpiresAt: string | null;
}

export interface ChargeView {
  cycle: number;
  attempt: number;
  idempotencyKey: string;
  amountMinor: string;
  currency: string;
  chargeId: string | null;
  state: string;
  outcome: string | null;
  reasonCode: string | null;
  requestedAt: string;
  completedAt: string | null;
}

export interface RefundView {
  chargeId: string;
  seq: number;
  idempotencyKey: string;
  amountMinor: string;
  currency: string;
  refundId: string | null;
  state: string;
  reasonCode: string | null;
  reason: string | null;
  requestedAt: string;
}

export interface StatusEventView {
  at: string;
  fromStatus: string | null;
  toStatus: string;
  reasonCode: string | null;
  cycle: number | null;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function subscriptionView(row: SubscriptionRow): SubscriptionView {
  return {
    id: row.id,
    workflowId: row.workflowId,
    chargePermissionId: row.chargePermissionId,
    environment: row.environment,
    status: row.status as SubscriptionStatus,
    statusReason: row.statusReason,
    plan: {
      amountMinor: row.amountMinor.toString(),
      currency: row.currency,
      interval: { unit: row.intervalUnit as BillingInterval['unit'], count: row.intervalCount },
    },
    anchor: storedAnchor(row),
    trial: (row.trial as BillingInterval | null) ?? null,
    end: row.endAfterCycles !== null ? { afterCycles: row.endAfterCycles } : row.endAt !== null ? { at: row.endAt.toISOString() } : null,
    firstChargeId: row.firstChargeId,
    currentCycle: row.currentCycle,
    nextBillingAt: endsBeforeNextBilling(row) ? null : iso(row.nextBillingAt),
    createdAt: row.createdAt.toISOString(),
    endedAt: iso(row.endedAt),
    stopRequested: row.stopRequestedAt ? { at: row.stopRequestedAt.toISOString(), reason: row.stopRequestedReason ?? 'StopRequested' } : null,
    stopAtPeriodEnd: periodEndStopView(row),
    permissionExpiresAt: iso(row.permissionExpiresAt),
  };
}

/**
 * Whether a stop at period end leaves the cycle at next_billing_at unbilled: the workflow waits
 * for it only to end then (the charge claim refuses a cycle after the stop's afterCycle), so no
 * next billing date is shown — stopAtPeriodEnd.endsAt says when it ends, as `live.endsAt` does.
 */
function endsBeforeNextBilling(row: SubscriptionRow): boolean {
  const stop = recordedPeriodEndStopOf(row);
  if (!stop || !row.nextBillingAt) return false;
  return row.currentCycle > stop.afterCycle || (stop.endsAt !== null && row.nextBillingAt.getTime() >= stop.endsAt.getTime());
}

function periodEndStopView(row: SubscriptionRow): SubscriptionView['stopAtPeriodEnd'] {
  const stop = recordedPeriodEndStopOf(row);
  return stop ? { at: stop.at.toISOString(), reason: stop.reason, afterCycle: stop.afterCycle, endsAt: iso(stop.endsAt) } : null;
}

export function chargeView(row: ChargeRow): ChargeView {
  return {
    cycle: row.cycle,
    attempt: row.attempt,
    idempotencyKey: row.idempotencyKey,
    amountMinor: row.amountMinor.toString(),
    currency: row.currency,
    chargeId: row.chargeId,
    state: row.state,
    outcome: row.outcome,
    reasonCode: row.reasonCode,
    requestedAt: row.requestedAt.toISOString(),
    completedAt: iso(row.completedAt),
  };
}

export function refundView(row: RefundRow): RefundView {
  return {
    chargeId: row.chargeId,
    seq: row.seq,
    idempotencyKey: row.idempotencyKey,
    amountMinor: row.amountMinor.toString(),
    currency: row.currency,
    refundId: row.refundId,
    state: row.state,
    reasonCode: row.reasonCode,
    reason: row.reason,
    requestedAt: row.requestedAt.toISOString(),
  };
}

export function statusEventView(row: SubscriptionEventRow): StatusEventView {
  return { at: row.at.toISOString(), fromStatus: row.fromStatus, toStatus: row.toStatus, reasonCode: row.reasonCode, cycle: row.cycle };
}

/** The anchor a row stores (billing/types.ts BillingAnchor): wall time, zone, and the intended day of month when its day is clamped. */
export function storedAnchor(row: Pick<SubscriptionRow, 'anchorLocal' | 'anchorZone' | 'anchorDayOfMonth'>): BillingAnchor {
  return { localDateTime: row.anchorLocal, zone: row.anchorZone, ...(row.anchorDayOfMonth === null ? {} : { dayOfMonth: row.anchorDayOfMonth }) };
}
