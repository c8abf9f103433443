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
  if (!Number.isInteger(count) || count < 1 || count > MAX_PREVIEW) problems.push({ field: 'count', message: `must be a whole number from 1 to ${MAX_PREVIEW}, got ${String(input.count)}` });
  if (!Number.isInteger(fromCycle) || fromCycle < 0) problems.push({ field: 'fromCycle', message: `must be a whole number ≥ 0, got ${String(input.fromCycle)}` });
  if (problems.length > 0) throw new InvalidInputError(problems);
  // The inputs are valid one by one; together they can still reach past the dates the schedule
  // can compute (year 1,000,000 of a yearly plan): that is the caller's input, not a fault.
  let anchor: BillingAnchor;
  try {
    anchor = firstBillingAnchor({ anchor: input.anchor, ...(input.trial ? { trial: input.trial } : {}) });
  } catch (error) {
    throw InvalidInputError.of('trial', `ends past the dates the schedule supports (${(error as Error).message}); accepted: a shorter trial`);
  }
  try {
    return scheduleWindow(anchor, input.interval, fromCycle, count);
  } catch (error) {
    throw InvalidInputError.of('fromCycle', `reaches past the dates the schedule supports: cycles ${fromCycle} to ${fromCycle + count - 1} of this plan (${(error as Error).message}); accepted: a smaller fromCycle`);
  }
}
