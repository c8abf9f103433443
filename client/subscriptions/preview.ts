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
  const anchor = firstBillingAnchor({ anchor: input.anchor, ...(input.trial ? { trial: input.trial } : {}) });
  return scheduleWindow(anchor, input.interval, fromCycle, count);
}
