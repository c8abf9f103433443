import { DateTime } from 'luxon';
import { dueAtForCycle, firstCycleDueFrom, rebaseSegments, type ScheduleSegment } from '../billing/segments.js';
import type { BillingInterval, SubscriptionEnd } from '../billing/types.js';
import type { CyclePlan, PlannedCycle } from '../workflows/types.js';

/** Cycles planned beyond the one asked for: one local activity per year of a monthly plan. */
export const PLAN_AHEAD_CYCLES = 12;

/**
 * Schedule math for the workflow, run as local activities so the results are recorded in
 * history (a tzdata change in a later Node cannot alter a replay).
 */
export function createScheduleActivities(deps: { now: () => Date }) {
  return {
    /**
     * The due time of `cycle` and whether it is still in the term, plus the same for the cycles
     * after it (up to PLAN_AHEAD_CYCLES, stopping at the first one past the term). The workflow
     * keeps those and skips this call for later cycles until its schedule changes.
     */
    async planCycle({
      segments,
      cycle,
      end,
    }: {
      segments: ScheduleSegment[];
      cycle: number;
      end: SubscriptionEnd | null;
    }): Promise<CyclePlan & { ahead: PlannedCycle[] }> {
      const plan = (n: number): CyclePlan => {
        const due = dueAtForCycle(segments, n);
        let inTerm = true;
        if (end && 'afterCycles' in end) inTerm = n < end.afterCycles;
        if (end && 'at' in end) inTerm = due.toMillis() < DateTime.fromISO(end.at, { setZone: true }).toMillis();
        return { dueAt: due.toUTC().toISO() ?? '', inTerm };
      };
      const current = plan(cycle);
      const ahead: PlannedCycle[] = [];
      for (let n = cycle + 1, last = current; last.inTerm && n <= cycle + PLAN_AHEAD_CYCLES; n += 1) {
        last = plan(n);
        ahead.push({ cycle: n, ...last });
      }
      return { ...current, ahead };
    },
    async rebaseSchedule({
      segments,
      fromCycle,
      interval,
    }: {
      segments: ScheduleSegment[];
      fromCycle: number;
      interval: BillingInterval;
    }): Promise<ScheduleSegment[]> {
      return rebaseSegments(segments, fromCycle, interval);
    },
    async firstCycleDueFrom({ segments, fromCycle, atOrAfter }: { segments: ScheduleSegment[]; fromCycle: number; atOrAfter: string }): Promise<number> {
      return firstCycleDueFrom(segments, fromCycle, DateTime.fromISO(atOrAfter, { zone: 'utc' }));
    },
    /**
     * How long until Amazon Pay's monthly cap resets (the next UTC calendar month) plus a margin
     * for clock skew. Computed from the injected clock, not workflow time, so "now" is an input
     * a test can set and the answer lands in history.
     */
    async delayUntilMonthlyCapResets({ marginMs }: { marginMs: number }): Promise<{ delayMs: number; resetsAt: string }> {
      const now = deps.now();
      const resetsAt = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
      return { delayMs: Math.max(0, resetsAt + marginMs - now.getTime()), resetsAt: new Date(resetsAt).toISOString() };
    },
  };
}
