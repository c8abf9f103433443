// Plan changes read back from a subscription workflow's history (client/subscriptions/plan-changes-from-history.ts).
import { defaultPayloadConverter } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time.js';
import { describe, expect, it } from 'vitest';
import { missingPlanChanges, planAfter, planChangesOfRuns } from '../../../client/subscriptions/plan-changes-from-history.js';
import type { HistoryEvents } from '../../../client/subscriptions/repair-history.js';

const AT = Date.parse('2026-12-01T06:00:00Z');

function scheduled(eventId: number, name: string, input: unknown, atMs = AT + eventId * 1000): HistoryEvents[number] {
  return {
    eventId: eventId as unknown as HistoryEvents[number]['eventId'],
    eventTime: msToTs(atMs),
    activityTaskScheduledEventAttributes: { activityType: { name }, input: { payloads: [defaultPayloadConverter.toPayload(input)] } },
  } as HistoryEvents[number];
}

describe('plan changes from a workflow history', () => {
  const run1 = [
    scheduled(5, 'chargeCycle', { subscriptionId: 's', cycle: 0, attempt: 1 }),
    // Before patch plan-change-written-explicitly: the change was a recordEvent of kind plan_changed.
    scheduled(9, 'recordEvent', { subscriptionId: 's', kind: 'plan_changed', cycle: 2, detail: { amountMinor: '450' } }),
    scheduled(11, 'recordEvent', { subscriptionId: 's', kind: 'cycles_skipped_while_paused', cycle: 3, detail: {} }),
  ];
  const run2 = [scheduled(7, 'recordPlanChange', { subscriptionId: 's', fromCycle: 5, interval: { unit: 'month', count: 2 } })];

  it('reads recordPlanChange and a legacy plan_changed recordEvent, in order, at the time they were asked for', () => {
    expect(planChangesOfRuns([run1, run2])).toEqual([
      { fromCycle: 2, amountMinor: '450', at: new Date(AT + 9000) },
      { fromCycle: 5, interval: { unit: 'month', count: 2 }, at: new Date(AT + 7000) },
    ]);
  });

  it('leaves out the ones a plan_changed event already records (same cycle, amount and interval)', () => {
    const inHistory = planChangesOfRuns([run1, run2]);
    const recorded = [
      { reasonCode: 'plan_changed', cycle: 2, detail: { amountMinor: '450' } },
      { reasonCode: 'plan_changed', cycle: 5, detail: { interval: { unit: 'month', count: 3 } } },
      { reasonCode: 'active', cycle: 5, detail: {} },
    ];
    expect(missingPlanChanges(recorded, inHistory)).toEqual([inHistory[1]]);
  });

  it('the plan going forward: each change replaces what it gives', () => {
    const start = { amountMinor: '400', interval: { unit: 'month' as const, count: 1 } };
    expect(planAfter(start, planChangesOfRuns([run1, run2]))).toEqual({ amountMinor: '450', interval: { unit: 'month', count: 2 } });
    expect(planAfter(start, [])).toEqual(start);
  });
});
