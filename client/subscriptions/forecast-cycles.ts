// Which charges a subscription row asks for in the forecast window, and when: the rules of the
// workflow (workflows/subscription.ts, workflows/settle-cycle.ts) read back from what PostgreSQL
// holds. Pure; client/subscriptions/forecast.ts reads the rows.
import { DateTime } from 'luxon';
import { anchorAtWallTime, billingInstant, ELAPSED_UNIT_MS, firstBillingAnchor } from '../../billing/schedule.js';
import type { ScheduleSegment } from '../../billing/segments.js';
import type { BillingInterval, IntervalUnit } from '../../billing/types.js';

/** A subscriptions row with what the forecast needs from its events. */
export interface DueRow extends Record<string, unknown> {
  status: string;
  /** Due time of the cycle the workflow waits for or settles (its current_cycle): in dunning, the declined cycle's. */
  next_billing_at: string | null;
  /** past_due: the dunning retry (or monthly-cap reset) the workflow sleeps until, from its last event's nextRetryAt. */
  retry_at: string | null;
  anchor_local: string;
  anchor_zone: string;
  /** The anchor's intended day of month when anchor_local's day is clamped (subscriptions.anchor_day_of_month). */
  anchor_day_of_month?: number | null;
  interval_unit: string;
  interval_count: number;
  end_after_cycles: number | null;
  end_at: string | null;
  /**
   * The last cycle a stop at period end lets the workflow bill (subscriptions.period_end_stop_after_cycle);
   * null or absent: no such stop. The subscription ends when the cycle after it comes due.
   */
  period_end_stop_after_cycle?: number | null;
  current_cycle: number;
  trial: BillingInterval | null;
  first_charge_id: string | null;
  /** Whether a plan change moved the interval (a plan_changed event with an interval): the schedule is a later segment. */
  interval_changed: boolean;
}

/** Due instants (epoch ms), one per charge (billing/forecast.ts batches equal ones). */
export type DueCharges = number[];

/** Later cycles of one schedule: cycle numbers and due instants, ascending, before the window's end. */
interface LaterCycles {
  cycles: number[];
  dueMs: number[];
}

/**
 * Adds to `due` the charges `row` asks for before `untilMs`:
 * - active / trialing: the cycle it waits for (next_billing_at; a row whose workflow has not
 *   written it yet: its current cycle from the anchor), then its later cycles, before its end.
 * - past_due: nothing until its scheduled retry (retry_at; none recorded: nothing), which
 *   charges the declined cycle; the cycles that come due meanwhile are charged right after it
 *   settles (counted at the retry), later ones at their due time. This is the load if the retry
 *   is paid; a retry declined again waits for the next one, and a final decline bills nothing more.
 * Other statuses are not read (client/subscriptions/forecast.ts). Later cycles follow the
 * workflow's current schedule segment: from the anchor, or — after a plan change moved the
 * interval — from the wall time of the current cycle in the anchor's zone (billing/segments.ts
 * rebaseSegments), so they are never taken from the original anchor with the new interval.
 * `memo` shares computed schedules between rows (a billing day's rows share a few anchors).
 */
export function addRowCharges(stored: DueRow, untilMs: number, due: DueCharges, memo: Map<string, LaterCycles> = new Map()): void {
  const add = (ms: number, n = 1) => {
    for (let i = 0; i < n; i++) due.push(ms);
  };
  const row = withPeriodEndStop(stored);
  const segment = currentSegment(row);
  const current = row.next_billing_at ? Date.parse(row.next_billing_at) : NaN;
  if (row.status === 'past_due') {
    const retry = row.retry_at ? Date.parse(row.retry_at) : NaN;
    if (!Number.isFinite(retry) || retry >= untilMs) return;
    add(retry);
    if (!Number.isFinite(current)) return;
    const later = laterCycles(row, segment, current, untilMs, memo);
    let meanwhile = 0;
    for (const ms of later) {
      if (ms <= retry) meanwhile++;
      else add(ms);
    }
    if (meanwhile > 0) add(retry, meanwhile);
    return;
  }
  // A stop at period end leaves the workflow waiting for a cycle it will not bill (it ends then).
  if (Number.isFinite(current) && row.end_after_cycles !== null && row.current_cycle >= row.end_after_cycles) return;
  const next = Number.isFinite(current) ? current : firstDueFromAnchor(row, segment);
  if (!Number.isFinite(next) || next >= untilMs) return;
  add(next);
  for (const ms of laterCycles(row, segment, next, untilMs, memo)) add(ms);
}

/**
 * The row with a stop at period end read as the end of its term: cycles 0 … after_cycle are the
 * last it bills, so it ends after after_cycle + 1 cycles (or its own term, whichever is sooner).
 * The charge claim refuses any later cycle (activities/charges.ts), whatever the workflow knows.
 */
function withPeriodEndStop(row: DueRow): DueRow {
  const after = row.period_end_stop_after_cycle;
  if (after === null || after === undefined) return row;
  const end = row.end_after_cycles === null ? after + 1 : Math.min(row.end_after_cycles, after + 1);
  return { ...row, end_after_cycles: end };
}

/** The schedule segment the workflow bills the row's later cycles on. */
function currentSegment(row: DueRow): ScheduleSegment {
  const interval: BillingInterval = { unit: row.interval_unit as IntervalUnit, count: row.interval_count };
  if (row.interval_changed && row.next_billing_at) {
    // rebaseSegments anchors the new interval at the changed cycle's wall time; the current cycle
    // is on that segment, so its wall time continues it. Month ends keep the wall day as intent.
    const wall = DateTime.fromMillis(new Date(row.next_billing_at).getTime(), { zone: row.anchor_zone });
    const parts = { year: wall.year, month: wall.month, day: wall.day, hour: wall.hour, minute: wall.minute, second: wall.second };
    return { fromCycle: row.current_cycle, anchor: anchorAtWallTime(parts, row.anchor_zone), interval };
  }
  const anchor = firstBillingAnchor({
    anchor: { localDateTime: row.anchor_local, zone: row.anchor_zone, ...(row.anchor_day_of_month == null ? {} : { dayOfMonth: row.anchor_day_of_month }) },
    ...(row.trial ? { trial: row.trial } : {}),
  });
  return { fromCycle: 0, anchor, interval };
}

/** Due instant of cycle n ≥ segment.fromCycle: plain arithmetic for elapsed units, the calendar rule otherwise. */
function dueOn(segment: ScheduleSegment): (n: number) => number {
  const unitMs = ELAPSED_UNIT_MS[segment.interval.unit];
  if (unitMs !== undefined) {
    const start = billingInstant(segment.anchor, segment.interval, 0).toMillis();
    const step = unitMs * segment.interval.count;
    return (n) => start + (n - segment.fromCycle) * step;
  }
  return (n) => billingInstant(segment.anchor, segment.interval, n - segment.fromCycle).toMillis();
}

function firstDueFromAnchor(row: DueRow, segment: ScheduleSegment): number {
  const cycle = row.first_charge_id && row.current_cycle === 0 ? 1 : row.current_cycle;
  if (row.end_after_cycles !== null && cycle >= row.end_after_cycles) return NaN;
  if (cycle < segment.fromCycle) return NaN;
  return dueOn(segment)(cycle);
}

/** Due instants of the cycles after the one due at `afterMs`, before `untilMs` and the row's end. */
function laterCycles(row: DueRow, segment: ScheduleSegment, afterMs: number, untilMs: number, memo: Map<string, LaterCycles>): number[] {
  const key = JSON.stringify([segment, afterMs, untilMs]);
  let found = memo.get(key);
  if (!found) {
    found = scheduleAfter(segment, afterMs, untilMs);
    memo.set(key, found);
  }
  const endAt = row.end_at ? Date.parse(row.end_at) : Number.POSITIVE_INFINITY;
  const out: number[] = [];
  for (let i = 0; i < found.cycles.length; i++) {
    if (row.end_after_cycles !== null && found.cycles[i]! >= row.end_after_cycles) break;
    if (found.dueMs[i]! >= endAt) break;
    out.push(found.dueMs[i]!);
  }
  return out;
}

function scheduleAfter(segment: ScheduleSegment, afterMs: number, untilMs: number): LaterCycles {
  const at = dueOn(segment);
  const out: LaterCycles = { cycles: [], dueMs: [] };
  const first = at(segment.fromCycle);
  if (first >= untilMs) return out;
  // The first cycle due after `afterMs`, guessed from the elapsed time and corrected.
  const stepMs = AVERAGE_UNIT_MS[segment.interval.unit] * segment.interval.count;
  let n = Math.max(segment.fromCycle, segment.fromCycle + Math.floor((afterMs - first) / stepMs));
  while (n > segment.fromCycle && at(n - 1) > afterMs) n--;
  while (at(n) <= afterMs) n++;
  for (; ; n++) {
    const dueMs = at(n);
    if (dueMs >= untilMs) break;
    out.cycles.push(n);
    out.dueMs.push(dueMs);
  }
  return out;
}

/**
 * The average length of one unit (ms): a month is 365.2425 / 12 days. Used to guess a cycle number
 * before the exact schedule corrects it, and by the dashboard to normalise plans to a month.
 */
export const AVERAGE_UNIT_MS: Readonly<Record<IntervalUnit, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 2_629_746_000,
  year: 31_556_952_000,
};
