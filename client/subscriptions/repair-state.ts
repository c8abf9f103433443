// Where a restarted subscription workflow resumes, computed from PostgreSQL alone: the charge
// ledger (one row per attempt, written before Create Charge is called) and the subscription row.
// The rule that keeps money safe: an attempt whose outcome is unknown (still `pending`, or an
// authorization still pending) is resumed with the SAME attempt number, hence the same
// idempotency key, so Amazon Pay replays it instead of charging again; only an attempt Amazon
// declined or refused is followed by a new one. A cycle with a successful charge is never billed
// again (PostgreSQL also refuses a second success per cycle).
import type { SubscriptionStatus } from '../../billing/types.js';
import type { ChargeRow, SubscriptionRow } from '../../db/schema/index.js';
import type { LastCharge, RestoredWait } from '../../workflows/types.js';
import type { RestoredPauses } from './repair-pauses.js';
import { isLedgerStateIn, PAID_CHARGE_STATES, PENDING_CHARGE_STATES, REFUSED_OR_DECLINED_STATES, SOFT_DECLINE_REASONS } from '../../billing/vocabulary.js';

const PAID = new Set<string>(PAID_CHARGE_STATES);
/** A checkout charge (cycle 0, attempt 0) in these states still needs the run's capture or its wait for Amazon's decision. */
const CHECKOUT_UNFINISHED = new Set<string>(['Authorized', 'AuthorizationInitiated']);
/** Attempts whose outcome Amazon Pay has not settled: resumed with their own key. */
const UNSETTLED = new Set<string>(['pending', 'unknown', ...PENDING_CHARGE_STATES]);
/** Soft declines, the ones dunning counts (workflows/settle-cycle.ts). */
const SOFT = new Set(SOFT_DECLINE_REASONS);

export interface ResumePoint {
  /** Nothing was billed or recorded yet: start the workflow as new (it records a checkout charge itself). */
  fresh: boolean;
  cycle: number;
  attempt: number;
  /** Soft declines of this cycle since its last other outcome (dunning continues from there). */
  dunningStep: number;
  status: SubscriptionStatus;
  paused: boolean;
  lastCharge: LastCharge | null;
  chargesMade: number;
  /** Why this attempt: 'next' (nothing tried yet), 'same-key' (outcome unknown), 'after-decline'. */
  attemptReason: 'next' | 'same-key' | 'after-decline';
  /**
   * The cycle waited in `unpaid` (for an admin's resume) or `payment_method_required` (for the
   * buyer's fix) after a decline: the new run waits there too, and `attempt` is tried only then.
   */
  wait?: RestoredWait & {
    /** payment_method_required: the cycle's first hard decline (ISO UTC), where its grace period runs from. */
    graceStartedAt: string | null;
  };
}

/** Statuses a cycle waits in after a decline; a repair restores them rather than charging. */
const WAITS = new Set<string>(['unpaid', 'payment_method_required']);

/**
 * `row`: the subscription; `charges`: its ledger rows; `statusBeforeDrift`: the status the drift
 * job found before it marked the row needs_attention/WorkflowNotRunning (its event detail), if
 * any; `pauses`: the operator's pause (repair-pauses.ts) — whether one is in force, when the run's
 * history says, and the wait it held. A pause holding `unpaid` or `payment_method_required`
 * restores that wait under the pause: the resume that lifts it does not forgive the cycle.
 */
export function resumePointFromLedger(
  row: Pick<SubscriptionRow, 'currentCycle' | 'status' | 'statusReason'>,
  charges: readonly ChargeRow[],
  statusBeforeDrift?: string,
  pauses?: Pick<RestoredPauses, 'paused' | 'held'>,
): ResumePoint {
  const paid = charges.filter((c) => PAID.has(c.state)).sort((a, b) => a.cycle - b.cycle);
  const lastPaid = paid.at(-1);
  const drifted = row.status === 'needs_attention' && row.statusReason === 'WorkflowNotRunning' && statusBeforeDrift !== undefined;
  const previous = drifted ? statusBeforeDrift : row.status;
  const paused = pauses?.paused ?? previous === 'paused';
  const status: SubscriptionStatus = paused ? 'paused' : previous === 'trialing' && paid.length === 0 ? 'trialing' : 'active';
  // The checkout's charge of cycle 0 not finished (not captured yet, or still pending): the new run
  // starts afresh and finishes it as the first run would have (workflows/checkout-charge.ts).
  const checkoutUnfinished = charges.every((c) => c.cycle === 0 && c.attempt === 0 && CHECKOUT_UNFINISHED.has(c.state));
  const fresh = (charges.length === 0 || checkoutUnfinished) && row.currentCycle === 0;
  const cycle = fresh ? 0 : Math.max(row.currentCycle, lastPaid ? lastPaid.cycle + 1 : 0);
  const ofCycle = charges.filter((c) => c.cycle === cycle).sort((a, b) => a.attempt - b.attempt);
  const last = ofCycle.at(-1);
  let attempt = 1;
  let attemptReason: ResumePoint['attemptReason'] = 'next';
  if (last) {
    attempt = UNSETTLED.has(last.state) ? last.attempt : last.attempt + 1;
    attemptReason = UNSETTLED.has(last.state) ? 'same-key' : 'after-decline';
  }
  // A row that shows a pause shows it over the wait the pause held, for this cycle (the row's
  // reason is then the pause's); one that does not shows its wait itself.
  const shownPaused = previous === 'paused';
  const held = shownPaused ? (pauses?.held && pauses.held.cycle === cycle ? pauses.held.status : null) : previous;
  const wait =
    last && !UNSETTLED.has(last.state) && held && WAITS.has(held)
      ? restoredWait(held as RestoredWait['status'], drifted || shownPaused ? null : row.statusReason, ofCycle)
      : undefined;
  let dunningStep = 0;
  for (let i = ofCycle.length - 1; i >= 0 && isLedgerStateIn(ofCycle[i]!.state, REFUSED_OR_DECLINED_STATES) && SOFT.has(ofCycle[i]!.reasonCode ?? ''); i -= 1)
    dunningStep += 1;
  return {
    fresh,
    cycle,
    attempt,
    dunningStep,
    status: wait && !paused ? wait.status : status,
    paused,
    ...(wait ? { wait } : {}),
    lastCharge: lastPaid
      ? {
          cycle: lastPaid.cycle,
          attempt: lastPaid.attempt,
          chargeId: lastPaid.chargeId,
          state: lastPaid.state,
          reasonCode: lastPaid.reasonCode,
          at: (lastPaid.completedAt ?? lastPaid.requestedAt).toISOString(),
        }
      : null,
    chargesMade: paid.filter((c) => c.attempt > 0).length,
    attemptReason,
  };
}

/** The wait to restore, its reason (the row's, or after drift the last decline's) and, for a hard decline, when its grace started. */
function restoredWait(status: RestoredWait['status'], rowReason: string | null, ofCycle: readonly ChargeRow[]): NonNullable<ResumePoint['wait']> {
  const declines = ofCycle.filter((c) => isLedgerStateIn(c.state, REFUSED_OR_DECLINED_STATES));
  const lastReason = declines.at(-1)?.reasonCode ?? null;
  const reason = rowReason ?? (status === 'unpaid' && lastReason && SOFT.has(lastReason) ? `DunningExhausted:${lastReason}` : (lastReason ?? status));
  // The grace period runs from the cycle's first decline that was not a soft one (workflows/settle-cycle.ts).
  const firstHard = declines.find((c) => !SOFT.has(c.reasonCode ?? '')) ?? declines.at(-1);
  const graceStartedAt = status === 'payment_method_required' && firstHard ? (firstHard.completedAt ?? firstHard.requestedAt).toISOString() : null;
  return { status, reason, graceStartedAt };
}
