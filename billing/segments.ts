// A subscription's schedule as a list of segments (see workflows/types.ts ScheduleSegment):
// a plan's interval change starts a new segment instead of chaining dates, so every billing
// date stays a pure function of stored anchors.
import type { DateTime } from 'luxon';
import { anchorAtWallTime, billingInstant, cycleWallTime, intendedDayOfMonth } from './schedule.js';
import type { BillingAnchor, BillingInterval } from './types.js';

export interface ScheduleSegment {
  fromCycle: number;
  anchor: BillingAnchor;
  interval: BillingInterval;
}

export function segmentFor(segments: readonly ScheduleSegment[], cycle: number): ScheduleSegment {
  let found: ScheduleSegment | undefined;
  for (const segment of segments) if (segment.fromCycle <= cycle && (!found || segment.fromCycle >= found.fromCycle)) found = segment;
  if (!found) throw new Error(`No schedule segment covers cycle ${cycle}`);
  return found;
}

export function dueAtForCycle(segments: readonly ScheduleSegment[], cycle: number): DateTime {
  const segment = segmentFor(segments, cycle);
  return billingInstant(segment.anchor, segment.interval, cycle - segment.fromCycle);
}

const sameInterval = (a: BillingInterval, b: BillingInterval): boolean => a.unit === b.unit && a.count === b.count;
const isMonthly = (interval: BillingInterval): boolean => interval.unit === 'month' || interval.unit === 'year';

/**
 * Changes the interval from `fromCycle` on: cycle `fromCycle` stays due when the old schedule
 * had it, later cycles follow the new interval from there. The new segment's anchor keeps the
 * subscription's wall-clock intent: its time of day is the wall time the old schedule meant for
 * that cycle before any DST shift (02:30, not the 03:30 a spring-forward gap made of it), and
 * between month/year intervals its day of month is the old anchor's intended day, not a clamped
 * one (a Jan 31 plan changed at Feb 28 still bills Mar 31). An unchanged interval is no change:
 * the segments are returned as they are.
 */
export function rebaseSegments(segments: readonly ScheduleSegment[], fromCycle: number, interval: BillingInterval): ScheduleSegment[] {
  const current = segmentFor(segments, fromCycle);
  if (sameInterval(current.interval, interval)) return [...segments];
  return [...segments.filter((s) => s.fromCycle < fromCycle), { fromCycle, anchor: continuationAnchor(segments, fromCycle, interval), interval }];
}

/**
 * The anchor of a schedule that takes over at cycle `fromCycle` of `segments` with `interval`:
 * its cycle 0 is due when the old schedule has `fromCycle` due, at the wall time the old schedule
 * meant for it (before any DST shift), and between month/year intervals its day of month is the
 * old anchor's intended day, not a clamped one: a Jan 31 monthly plan whose cycle is due Feb 28
 * continues Mar 31, Apr 30, … (rebaseSegments within a subscription; a replacement subscription,
 * client/checkout/replace.ts). Pure.
 */
export function continuationAnchor(segments: readonly ScheduleSegment[], fromCycle: number, interval: BillingInterval): BillingAnchor {
  const current = segmentFor(segments, fromCycle);
  const wall = cycleWallTime(current.anchor, current.interval, fromCycle - current.fromCycle);
  const intendedDay = isMonthly(current.interval) && isMonthly(interval) ? intendedDayOfMonth(current.anchor) : undefined;
  return anchorAtWallTime(wall, current.anchor.zone, intendedDay);
}

/**
 * The first cycle at or after `fromCycle` that is due at or after `instant` (cycles before it
 * are skipped). Due dates only grow with the cycle, so it is a search, not a walk: each segment
 * is skipped whole or bisected, about 2·log2(cycles skipped) date computations in all (a 12-day
 * pause of a one-second plan is ~40, not a million).
 */
export function firstCycleDueFrom(segments: readonly ScheduleSegment[], fromCycle: number, instant: DateTime): number {
  const target = instant.toMillis();
  const dueAtOrAfter = (cycle: number): boolean => dueAtForCycle(segments, cycle).toMillis() >= target;
  if (dueAtOrAfter(fromCycle)) return fromCycle;
  // Invariant: cycle `lo` is due before the instant. Find a cycle `hi` due at or after it.
  let lo = fromCycle;
  let step = 1;
  let hi = fromCycle + step;
  while (!dueAtOrAfter(hi)) {
    lo = hi;
    step *= 2;
    hi = fromCycle + step;
    if (!Number.isSafeInteger(hi * 2)) throw new Error(`No cycle due after ${instant.toISO()} from cycle ${fromCycle}`);
  }
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (dueAtOrAfter(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
