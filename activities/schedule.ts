import { DateTime } from 'luxon';
import { dueAtForCycle, firstCycleDueFrom, rebaseSegments, type ScheduleSegment } from '../billing/segments.js';
import type { BillingInterval, SubscriptionEnd } from '../billing/types.js';

/**
 * Schedule math for the workflow, run as local activities so the results are recorded in
 * history (a tzdata change in a later Node cannot alter a replay).
 */
export function createScheduleActivities(deps: { now: () => Date }) {
  return {
    async planCycle({ segments, cycle, end }: { segments: ScheduleSegment[]; cycle: number; end: SubscriptionEnd | null }): Promise<{ dueAt: string; inTerm: boolean }> {
      const due = dueAtForCycle(segments, cycle);
      let inTerm = true;
      if (end && 'afterCycles' in end) inTerm = cycle < end.afterCycles;
      if (end && 'at' in end) inTerm = due.toMillis() < DateTime.fromISO(end.at, { setZone: true }).toMillis();
      return { dueAt: due.toUTC().toISO() ?? '', inTerm };
    },
    async rebaseSchedule({ segments, fromCycle, interval }: { segments: ScheduleSegment[]; fromCycle: number; interval: BillingInterval }): Promise<ScheduleSegment[]> {
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
