// A subscription's schedule as a list of segments (see workflows/types.ts ScheduleSegment):
// a plan's interval change starts a new segment instead of chaining dates, so every billing
// date stays a pure function of stored anchors.
import type { DateTime } from 'luxon';
import { billingInstant } from './schedule.js';
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

/**
 * Changes the interval from `fromCycle` on: cycle `fromCycle` stays due when the old schedule
 * had it, later cycles follow the new interval from there.
 */
export function rebaseSegments(segments: readonly ScheduleSegment[], fromCycle: number, interval: BillingInterval): ScheduleSegment[] {
  const current = segmentFor(segments, fromCycle);
  const due = dueAtForCycle(segments, fromCycle).setZone(current.anchor.zone);
  const anchor: BillingAnchor = { localDateTime: due.toFormat("yyyy-MM-dd'T'HH:mm:ss"), zone: current.anchor.zone };
  return [...segments.filter((s) => s.fromCycle < fromCycle), { fromCycle, anchor, interval }];
}

/** The first cycle at or after `fromCycle` that is due at or after `instant` (cycles before it are skipped). */
export function firstCycleDueFrom(segments: readonly ScheduleSegment[], fromCycle: number, instant: DateTime, maxSteps = 1_000_000): number {
  for (let cycle = fromCycle; cycle < fromCycle + maxSteps; cycle++) {
    if (dueAtForCycle(segments, cycle).toMillis() >= instant.toMillis()) return cycle;
  }
  throw new Error(`No cycle due after ${instant.toISO()} within ${maxSteps} cycles of ${fromCycle}`);
}
