// The next billing dates of a plan, from the very function the workflow bills by.
import { firstBillingAnchor, scheduleWindow, validateAnchor, type ScheduledCycle } from '../../billing/schedule.js';
import { validateInterval } from '../../billing/plan-rules.js';
import type { BillingAnchor, BillingEnvironment, BillingInterval, Problem } from '../../billing/types.js';
import { InvalidInputError } from '../errors.js';

export interface PreviewScheduleInput {
  anchor: BillingAnchor;
  interval: BillingInterval;
  trial?: BillingInterval;
  /** How many billing dates (1..100, default 12). */
  count?: number;
  /** First cycle shown (0-based, default 0). */
  fromCycle?: number;
}

/** Most billing dates one preview shows. */
export const MAX_PREVIEW = 100;

export function previewSchedule(environment: BillingEnvironment, input: PreviewScheduleInput): ScheduledCycle[] {
  const count = input.count ?? 12;
  const fromCycle = input.fromCycle ?? 0;
  const problems: Problem[] = [
    ...validateAnchor(input.anchor, 'anchor'),
    ...validateInterval(input.interval, { environment }, 'interval'),
    ...(input.trial === undefined ? [] : validateInterval(input.trial, { environment }, 'trial')),
  ];
  if (!Number.isInteger(count) || count < 1 || count > MAX_PREVIEW)
    problems.push({ field: 'count', message: `must be a whole number from 1 to ${MAX_PREVIEW}, got ${String(input.count)}` });
  if (!Number.isInteger(fromCycle) || fromCycle < 0)
    problems.push({ field: 'fromCycle', message: `must be a whole number ≥ 0, got ${String(input.fromCycle)}` });
  if (problems.length > 0) throw new InvalidInputError(problems);
  // The inputs are valid one by one; together they can still reach past the dates the schedule
  // can compute (year 275760 for Luxon): that is the caller's input, not a fault.
  let anchor: BillingAnchor;
  try {
    anchor = firstBillingAnchor({ anchor: input.anchor, ...(input.trial ? { trial: input.trial } : {}) });
  } catch {
    throw InvalidInputError.of('trial', 'ends past the last date the schedule can compute; accepted: a shorter trial');
  }
  try {
    return scheduleWindow(anchor, input.interval, fromCycle, count);
  } catch {
    const last = lastSchedulableCycle(anchor, input.interval);
    const highest = last - count + 1;
    throw InvalidInputError.of(
      'fromCycle',
      highest >= 0
        ? `must be at most ${highest} for ${count} date${count === 1 ? '' : 's'} of this plan: its last computable cycle is ${last}, got ${fromCycle}`
        : `cannot show ${count} dates of this plan: its last computable cycle is ${last}; accepted: fewer dates`,
    );
  }
}

/** The highest cycle scheduleWindow can compute for this plan (dates end in year 275760): a binary search over cycles. */
export function lastSchedulableCycle(anchor: BillingAnchor, interval: BillingInterval): number {
  const computable = (cycle: number): boolean => {
    try {
      scheduleWindow(anchor, interval, cycle, 1);
      return true;
    } catch {
      return false;
    }
  };
  let low = 0;
  let high = 1;
  while (computable(high) && high < Number.MAX_SAFE_INTEGER / 2) [low, high] = [high, high * 2];
  while (low + 1 < high) {
    const middle = Math.floor((low + high) / 2);
    if (computable(middle)) low = middle;
    else high = middle;
  }
  return low;
}
