// Plan changes read back from a subscription workflow's history (client/subscriptions/plan-changes-from-history.ts).
import { defaultPayloadConverter } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time.js';
import { describe, expect, it } from 'vitest';
import { missingPlanChanges, planAfter, planChangesOfRuns, planOfRun } from '../../../client/subscriptions/plan-changes-from-history.js';
import type { HistoryEvents } from '../../../client/subscriptions/repair-history.js';
import type { SubscriptionWorkflowInput } from '../../../workflows/types.js';

const AT = Date.parse('2026-12-01T06:00:00Z');
type Event = HistoryEvents[number];

function scheduled(eventId: number, name: string, input: unknown): Event {
  return {
    eventId: eventId as unknown as Event['eventId'],
    eventTime: msToTs(AT + eventId * 1000),
    activityTaskScheduledEventAttributes: { activityType: { name }, input: { payloads: [defaultPayloadConverter.toPayload(input)] } },
  } as Event;
}

function completed(eventId: number, scheduledEventId: number): Event {
  return {
    eventId: eventId as unknown as Event['eventId'],
    eventTime: msToTs(AT + eventId * 1000),
    activityTaskCompletedEventAttributes: { scheduledEventId },
  } as unknown as Event;
}

const failed = (eventId: number, scheduledEventId: number): Event =>
  ({ eventId, eventTime: msToTs(AT + eventId * 1000), activityTaskFailedEventAttributes: { scheduledEventId } }) as unknown as Event;

describe('plan changes from a workflow history', () => {
  const run1 = [
    scheduled(5, 'chargeCycle', { subscriptionId: 's', cycle: 0, attempt: 1 }),
    completed(6, 5),
    // Before patch plan-change-written-explicitly: the change was a recordEvent of kind plan_changed.
    scheduled(9, 'recordEvent', { subscriptionId: 's', kind: 'plan_changed', cycle: 2, detail: { amountMinor: '450' } }),
    completed(10, 9),
    scheduled(11, 'recordEvent', { subscriptionId: 's', kind: 'cycles_skipped_while_paused', cycle: 3, detail: {} }),
    completed(12, 11),
  ];
  const run2 = [
    // A write that failed, then its retry (a new activity, the same request) that completed: one change.
    scheduled(7, 'recordPlanChange', { subscriptionId: 's', fromCycle: 5, interval: { unit: 'month', count: 2 } }),
    failed(8, 7),
    scheduled(13, 'recordPlanChange', { subscriptionId: 's', fromCycle: 5, interval: { unit: 'month', count: 2 } }),
    completed(14, 13),
    // A write still running: the workflow's own to make, not a lost one.
    scheduled(15, 'recordPlanChange', { subscriptionId: 's', fromCycle: 6, amountMinor: '500' }),
  ];

  it('reads each completed recordPlanChange and legacy plan_changed recordEvent once, in order, at the time it was asked for', () => {
    expect(planChangesOfRuns([run1, run2])).toEqual([
      { fromCycle: 2, amountMinor: '450', at: new Date(AT + 9000) },
      { fromCycle: 5, interval: { unit: 'month', count: 2 }, at: new Date(AT + 13_000) },
    ]);
  });

  it('leaves out the ones plan_changed events record, one for one (a change made twice needs two)', () => {
    const inHistory = planChangesOfRuns([run1, run2]);
    const recorded = [
      { reasonCode: 'plan_changed', cycle: 2, detail: { amountMinor: '450' } },
      { reasonCode: 'plan_changed', cycle: 5, detail: { interval: { unit: 'month', count: 3 } } },
      { reasonCode: 'active', cycle: 5, detail: {} },
    ];
    expect(missingPlanChanges(recorded, inHistory)).toEqual([inHistory[1]]);
    const a = { fromCycle: 3, amountMinor: '450', at: new Date(AT) };
    const b = { fromCycle: 3, amountMinor: '400', at: new Date(AT + 1) };
    const again = { ...a, at: new Date(AT + 2) };
    expect(missingPlanChanges([{ reasonCode: 'plan_changed', cycle: 3, detail: { amountMinor: '450' } }], [a, b, again])).toEqual([b, again]);
  });

  it('the plan going forward: each change replaces what it gives, over the run’s carried state', () => {
    const start = { amountMinor: '400', interval: { unit: 'month' as const, count: 1 } };
    expect(planAfter(start, planChangesOfRuns([run1, run2]))).toEqual({ amountMinor: '450', interval: { unit: 'month', count: 2 } });
    expect(planAfter(start, [])).toEqual(start);
    const input = {
      amountMinor: '400',
      segments: [{ fromCycle: 0, anchor: { localDateTime: '2026-01-01T09:00:00', zone: 'UTC' }, interval: { unit: 'month', count: 1 } }],
      state: {
        amountChanges: [
          { fromCycle: 0, amountMinor: '400' },
          { fromCycle: 4, amountMinor: '600' },
        ],
        segments: [{ fromCycle: 0, anchor: { localDateTime: '2026-01-01T09:00:00', zone: 'UTC' }, interval: { unit: 'week', count: 2 } }],
      },
    } as unknown as SubscriptionWorkflowInput;
    expect(planOfRun(input, [])).toEqual({ amountMinor: '600', interval: { unit: 'week', count: 2 } });
    expect(planOfRun(input, [{ fromCycle: 6, amountMinor: '700', at: new Date(AT) }])).toEqual({ amountMinor: '700', interval: { unit: 'week', count: 2 } });
  });
});
