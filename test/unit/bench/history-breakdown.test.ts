import proto, { type temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { cycleCostOf, segmentsOf } from '../../../bench/history-breakdown.js';

const T = proto.temporal.api.enums.v1.EventType;
const T0 = Date.parse('2026-11-28T12:00:00Z');

function at(ms: number) {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/** A cycle due at T0: the timer fires, a task wakes the workflow, Create Charge is scheduled and started. */
function history(opts: { firedAfterMs: number; taskAfterMs: number; scheduledAfterMs: number; startedAfterMs: number; activity?: string }) {
  const fired = T0 + opts.firedAfterMs;
  const task = fired + opts.taskAfterMs;
  const scheduled = task + opts.scheduledAfterMs;
  const events = [
    { eventId: 1, eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, eventTime: at(T0 - 60_000) },
    { eventId: 5, eventType: T.EVENT_TYPE_WORKFLOW_TASK_STARTED, eventTime: at(T0 - 59_000) },
    { eventId: 8, eventType: T.EVENT_TYPE_TIMER_STARTED, eventTime: at(T0 - 59_000) },
    { eventId: 9, eventType: T.EVENT_TYPE_TIMER_FIRED, eventTime: at(fired) },
    { eventId: 10, eventType: T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, eventTime: at(fired) },
    { eventId: 11, eventType: T.EVENT_TYPE_WORKFLOW_TASK_STARTED, eventTime: at(task) },
    { eventId: 12, eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, eventTime: at(scheduled) },
    {
      eventId: 13,
      eventType: T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      eventTime: at(scheduled),
      activityTaskScheduledEventAttributes: { activityType: { name: opts.activity ?? 'chargeCycle' } },
    },
    {
      eventId: 14,
      eventType: T.EVENT_TYPE_ACTIVITY_TASK_STARTED,
      eventTime: at(scheduled + opts.startedAfterMs),
      activityTaskStartedEventAttributes: { scheduledEventId: 13 },
    },
  ];
  // Plain numbers where gRPC gives Long objects: segmentsOf reads both.
  return events as unknown as temporal.api.history.v1.IHistoryEvent[];
}

describe('segmentsOf: where a charge due at T0 waited', () => {
  it('splits T0 → Create Charge started into timer, wake-up task, worker and charges-queue time', () => {
    expect(segmentsOf(history({ firedAfterMs: 40, taskAfterMs: 61_000, scheduledAfterMs: 3, startedAfterMs: 250 }), T0)).toEqual({
      dueToTimerFired: 40,
      timerFiredToTaskStarted: 61_000,
      taskStartedToChargeScheduled: 3,
      chargeScheduledToStarted: 250,
    });
  });

  it('is null for a history without the cycle (no Create Charge scheduled, or not started yet)', () => {
    expect(segmentsOf(history({ firedAfterMs: 0, taskAfterMs: 1, scheduledAfterMs: 1, startedAfterMs: 1, activity: 'recordStatus' }), T0)).toBeNull();
    expect(segmentsOf(history({ firedAfterMs: 0, taskAfterMs: 1, scheduledAfterMs: 1, startedAfterMs: 1 }).slice(0, -1), T0)).toBeNull();
    expect(segmentsOf(history({ firedAfterMs: 0, taskAfterMs: 1, scheduledAfterMs: 1, startedAfterMs: 1 }), T0 + 3_600_000)).toBeNull();
  });
});

describe('cycleCostOf: what the cycle due at T0 cost Temporal', () => {
  const base = history({ firedAfterMs: 0, taskAfterMs: 1, scheduledAfterMs: 1, startedAfterMs: 1 }) as unknown as Record<string, unknown>[];
  const more = (events: Record<string, unknown>[]) => [...base, ...events] as unknown as temporal.api.history.v1.IHistoryEvent[];
  const localActivity = (eventId: number) => ({
    eventId,
    eventType: T.EVENT_TYPE_MARKER_RECORDED,
    eventTime: at(T0 + 10),
    markerRecordedEventAttributes: { markerName: 'core_local_activity' },
  });

  it('counts workflow tasks, activities and local activities from the timer firing to the next timer', () => {
    const events = more([
      { eventId: 15, eventType: T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, eventTime: at(T0 + 5) },
      { eventId: 16, eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, eventTime: at(T0 + 6) },
      localActivity(17),
      { eventId: 18, eventType: T.EVENT_TYPE_TIMER_STARTED, eventTime: at(T0 + 7) },
      // The next cycle's work is not this one's.
      { eventId: 19, eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, eventTime: at(T0 + 8) },
      localActivity(20),
    ]);
    expect(cycleCostOf(events, T0)).toEqual({ workflowTasks: 2, activities: 1, localActivities: 1 });
  });

  it('is null without a timer fired at T0', () => {
    expect(cycleCostOf(more([]), T0 + 3_600_000)).toBeNull();
  });
});
