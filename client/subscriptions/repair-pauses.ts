// The operator's pauses a repaired run carries (client/subscriptions/repair.ts). The stopped run's
// history is the source (repair-history.ts: the signals, as the workflow took them); when Temporal
// no longer holds it, PostgreSQL's last `paused` status event gives the pause in force (its start
// is then when the status was written) and lifted pauses are not known.
import type { SubscriptionEventRow } from '../../db/schema/index.js';
import type { PausesOfRun } from './repair-history.js';

type EventRow = Pick<SubscriptionEventRow, 'fromStatus' | 'toStatus' | 'reasonCode' | 'cycle' | 'detail' | 'at'>;

export interface RestoredPauses extends Omit<PausesOfRun, 'paused'> {
  /** Whether an operator's pause is in force per the run's history; undefined without a history (the row decides). */
  paused: boolean | undefined;
  /**
   * The status the pause in force held (the `heldStatus` of its `paused` status event, written
   * when the pause held a cycle's wait: past_due, payment_method_required, unpaid, needs_attention)
   * and that cycle; null when it held none (a pause between cycles) or no such event exists.
   */
  held: { status: string; cycle: number | null } | null;
}

/** `drift`: the drift job's WorkflowNotRunning event, if any (the pause is the one before it). */
export function pausesToRestore(events: readonly EventRow[], drift: EventRow | undefined, fromHistory: PausesOfRun | undefined): RestoredPauses {
  const pauseStarts = events.filter((e) => e.toStatus === 'paused' && e.fromStatus !== 'paused' && e !== drift);
  const last = pauseStarts.at(-1);
  const detail = (last?.detail ?? {}) as { heldStatus?: unknown; cycle?: unknown };
  const held =
    typeof detail.heldStatus === 'string' ? { status: detail.heldStatus, cycle: typeof detail.cycle === 'number' ? detail.cycle : last!.cycle } : null;
  if (fromHistory) return { ...fromHistory, held: fromHistory.paused ? held : null };
  // Read only when the row (or the status before the drift) says paused: then `last` began that pause.
  return { paused: undefined, pausedSince: last ? last.at.toISOString() : null, pauseReason: last?.reasonCode ?? null, pauseWindows: [], held };
}

/**
 * How long operator pauses have held the payment-method grace of `cycle` (ms; the grace ends
 * that much later, workflows/settle-cycle.ts): the workflow writes the grace's end into each
 * payment_method_required status event (`graceEndsAt`, moved on by each pause it held), so the
 * last one of the cycle less its start and the policy's grace is what pauses added; a pause still
 * in force adds its time so far (the new run counts on from its own start). 0 when none.
 */
export function gracePausedMsOf(
  events: readonly EventRow[],
  cycle: number,
  grace: { graceStartedAt: string; graceMs: number },
  pauses: Pick<RestoredPauses, 'pausedSince'> & { paused: boolean },
  now: Date,
): number {
  const ends = events
    .filter((e) => e.cycle === cycle)
    .map((e) => (e.detail as { graceEndsAt?: unknown } | null)?.graceEndsAt)
    .filter((end): end is string => typeof end === 'string');
  const lastEnd = ends.at(-1);
  const before = lastEnd ? Math.max(0, Date.parse(lastEnd) - Date.parse(grace.graceStartedAt) - grace.graceMs) : 0;
  // A pause taken before the decline (a charge in flight) held the grace only from its start.
  const heldFrom = pauses.pausedSince ? Math.max(Date.parse(pauses.pausedSince), Date.parse(grace.graceStartedAt)) : null;
  const inForce = pauses.paused && heldFrom !== null ? Math.max(0, now.getTime() - heldFrom) : 0;
  return before + inForce;
}
