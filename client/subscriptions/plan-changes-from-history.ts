// Plan changes rebuilt from a subscription workflow's Temporal history, for the `plan_changed`
// status events (and the row's plan going forward) that a restore of the daemon's database from
// an older backup lost. The workflow applies a change (`billing change-plan`, the API) to itself,
// then asks the database to record it (activities/subscription-writes.ts recordPlanChange; before
// patch plan-change-written-explicitly, recordEvent of kind plan_changed): that request, with its
// first cycle, amount and interval, is in the history whether or not its write survived. A repair
// restart rebuilds its schedule from these events (repair.ts termsFromHistory), so without them it
// would bill the plan as it was before the change.
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';
import type { BillingInterval } from '../../billing/types.js';
import type { PlanChangeRecord, SubscriptionEvent, SubscriptionWorkflowInput } from '../../workflows/types.js';
import type { HistoryEvents } from './repair-history.js';

/** One plan change the workflow asked to record: from which cycle, the new amount (minor units) and/or interval, and when (the request's time). */
export interface PlanChangeInHistory {
  fromCycle: number;
  amountMinor?: string;
  interval?: BillingInterval;
  at: Date;
}

const RECORD_PLAN_CHANGE = 'recordPlanChange';
const LEGACY_RECORD_EVENT = 'recordEvent';

/**
 * The plan changes the runs' histories (oldest run first) recorded, in order: each request whose
 * activity completed (its write committed then; a write still running or being retried is the
 * workflow's own to make, and a retry after a failure is a new activity with the same request).
 */
export function planChangesOfRuns(runs: HistoryEvents[]): PlanChangeInHistory[] {
  const changes: PlanChangeInHistory[] = [];
  for (const events of runs) {
    const requested = new Map<string, PlanChangeInHistory>();
    for (const event of events) {
      const completed = event.activityTaskCompletedEventAttributes;
      if (completed) {
        const change = requested.get(String(completed.scheduledEventId));
        if (change) changes.push(change);
        continue;
      }
      const scheduled = event.activityTaskScheduledEventAttributes;
      const name = scheduled?.activityType?.name;
      const payload = scheduled?.input?.payloads?.[0];
      if (!payload || (name !== RECORD_PLAN_CHANGE && name !== LEGACY_RECORD_EVENT)) continue;
      const at = new Date(tsToMs(event.eventTime));
      if (name === RECORD_PLAN_CHANGE) {
        const record = defaultPayloadConverter.fromPayload<PlanChangeRecord>(payload);
        requested.set(String(event.eventId), change(record.fromCycle, record.amountMinor, record.interval, at));
      } else {
        const record = defaultPayloadConverter.fromPayload<SubscriptionEvent>(payload);
        if (record.kind !== 'plan_changed' || typeof record.cycle !== 'number') continue;
        const detail = (record.detail ?? {}) as { amountMinor?: string; interval?: BillingInterval };
        requested.set(String(event.eventId), change(record.cycle, detail.amountMinor, detail.interval, at));
      }
    }
  }
  return changes;
}

function change(fromCycle: number, amountMinor: string | undefined, interval: BillingInterval | undefined, at: Date): PlanChangeInHistory {
  return { fromCycle, ...(amountMinor ? { amountMinor } : {}), ...(interval ? { interval: { unit: interval.unit, count: interval.count } } : {}), at };
}

/**
 * The changes in `inHistory` that the recorded `plan_changed` events in `recorded` lack, matched
 * one for one by first cycle, amount and interval (a change made twice needs two events).
 */
export function missingPlanChanges(
  recorded: readonly { reasonCode: string | null; cycle: number | null; detail: unknown }[],
  inHistory: readonly PlanChangeInHistory[],
): PlanChangeInHistory[] {
  const keyOf = (cycle: number, amountMinor?: string, interval?: BillingInterval) =>
    `${cycle}|${amountMinor ?? ''}|${interval ? `${interval.count} ${interval.unit}` : ''}`;
  const have = new Map<string, number>();
  for (const e of recorded) {
    if (e.reasonCode !== 'plan_changed' || e.cycle === null) continue;
    const detail = (e.detail ?? {}) as { amountMinor?: string; interval?: BillingInterval };
    const key = keyOf(e.cycle, detail.amountMinor, detail.interval);
    have.set(key, (have.get(key) ?? 0) + 1);
  }
  return inHistory.filter((c) => {
    const key = keyOf(c.fromCycle, c.amountMinor, c.interval);
    const left = have.get(key) ?? 0;
    if (left > 0) have.set(key, left - 1);
    return left === 0;
  });
}

/**
 * The plan going forward of the run whose input is `input`: its carried state (earlier runs'
 * changes) or its start terms, with `changedInRun` (this run's recorded changes) applied in order
 * — what the workflow bills from its next change on, read from the history alone.
 */
export function planOfRun(input: SubscriptionWorkflowInput, changedInRun: readonly PlanChangeInHistory[]): { amountMinor: string; interval: BillingInterval } {
  const segments = input.state?.segments ?? input.segments;
  const carried = { amountMinor: input.state?.amountChanges.at(-1)?.amountMinor ?? input.amountMinor, interval: segments.at(-1)!.interval };
  return planAfter(carried, changedInRun);
}

/** The plan going forward once `changes` (in order) apply to `plan`: each change's amount and interval replace the ones before. */
export function planAfter(
  plan: { amountMinor: string; interval: BillingInterval },
  changes: readonly Pick<PlanChangeInHistory, 'amountMinor' | 'interval'>[],
): { amountMinor: string; interval: BillingInterval } {
  let after = plan;
  for (const c of changes) after = { amountMinor: c.amountMinor ?? after.amountMinor, interval: c.interval ?? after.interval };
  return after;
}
