// Where the time between T0 and a charge went, read from workflow histories: a sample of the
// billing day's workflows, spread over the order in which they were charged. The ledger only
// says when the Create Charge activity started; the history says whether it waited for its
// workflow task (the wake-up after the timer) or in the charges task queue.
import type { Client } from '@temporalio/client';
import proto, { type temporal } from '@temporalio/proto';
import { percentiles, type Percentiles } from './ledger-check.js';
import { round } from './proc-stats.js';

// CommonJS: only the default export is visible to ESM at run time.
const EventType = proto.temporal.api.enums.v1.EventType;

export interface WakeUpBreakdown {
  sampled: number;
  /** T0 → the timer fired (history service's timer queue). */
  dueToTimerFired: Percentiles;
  /** Timer fired → the workflow task that handles it started on a worker (task queue wait). */
  timerFiredToTaskStarted: Percentiles;
  /** That task started → Create Charge scheduled (the worker's own processing). */
  taskStartedToChargeScheduled: Percentiles;
  /** Create Charge scheduled → started (the charges queue and its rate limit). */
  chargeScheduledToStarted: Percentiles;
  /** The same four for the last tenth of the sample (the charges made last). */
  lastTenth: {
    dueToTimerFired: Percentiles;
    timerFiredToTaskStarted: Percentiles;
    taskStartedToChargeScheduled: Percentiles;
    chargeScheduledToStarted: Percentiles;
  };
  /** What the cycle due at T0 cost Temporal, from its timer firing to the next timer (absent in results before issue 15). */
  cycleCost?: CycleCostSummary;
}

/** Commands of one cycle: workflow tasks completed, activities scheduled, local activities recorded. */
export interface CycleCost {
  workflowTasks: number;
  activities: number;
  localActivities: number;
}

/** The cycle costs of the sampled histories: the largest seen and how many histories had each workflow-task count. */
export interface CycleCostSummary {
  sampled: number;
  max: CycleCost;
  workflowTasksHistogram: Record<string, number>;
}

interface Segments {
  dueToTimerFired: number;
  timerFiredToTaskStarted: number;
  taskStartedToChargeScheduled: number;
  chargeScheduledToStarted: number;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Ids and seconds come as Long objects from gRPC, as numbers from JSON; Long has no valueOf. */
function toNumber(value: { toString(): string } | number | null | undefined): number {
  return typeof value === 'number' ? value : value == null ? NaN : Number(value.toString());
}

function millis(event: HistoryEvent): number {
  const t = event.eventTime;
  return t ? toNumber(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;
}

const id = (event: HistoryEvent): number => toNumber(event.eventId);

/** The segments of the cycle due at T0, or null when the history does not hold that path. */
export function segmentsOf(events: HistoryEvent[], t0Ms: number): Segments | null {
  const fired = events.find((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED && millis(e) >= t0Ms - 1000);
  if (!fired) return null;
  const firedAt = millis(fired);
  const started = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED && millis(e) >= firedAt && id(e) > id(fired));
  const scheduled = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'chargeCycle' &&
      id(e) > id(fired),
  );
  if (!started || !scheduled) return null;
  const activityStarted = events.find(
    (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && toNumber(e.activityTaskStartedEventAttributes?.scheduledEventId) === id(scheduled),
  );
  if (!activityStarted) return null;
  return {
    dueToTimerFired: firedAt - t0Ms,
    timerFiredToTaskStarted: millis(started) - firedAt,
    taskStartedToChargeScheduled: millis(scheduled) - millis(started),
    chargeScheduledToStarted: millis(activityStarted) - millis(scheduled),
  };
}

/**
 * What the cycle due at T0 cost: events from its timer firing up to the next timer started
 * (the wait for the next cycle) or the end of the run; null without that timer.
 */
export function cycleCostOf(events: HistoryEvent[], t0Ms: number): CycleCost | null {
  const fired = events.find((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED && millis(e) >= t0Ms - 1000);
  if (!fired) return null;
  const after = events.filter((e) => id(e) > id(fired));
  const nextTimer = after.findIndex((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
  const cycle = nextTimer >= 0 ? after.slice(0, nextTimer) : after;
  const count = (type: number, also: (e: HistoryEvent) => boolean = () => true) => cycle.filter((e) => e.eventType === type && also(e)).length;
  return {
    workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activities: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    localActivities: count(EventType.EVENT_TYPE_MARKER_RECORDED, (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'),
  };
}

function summariseCosts(costs: CycleCost[]): CycleCostSummary | undefined {
  if (costs.length === 0) return undefined;
  const workflowTasksHistogram: Record<string, number> = {};
  for (const c of costs) workflowTasksHistogram[c.workflowTasks] = (workflowTasksHistogram[c.workflowTasks] ?? 0) + 1;
  const max = (key: keyof CycleCost) => Math.max(...costs.map((c) => c[key]));
  return {
    sampled: costs.length,
    max: { workflowTasks: max('workflowTasks'), activities: max('activities'), localActivities: max('localActivities') },
    workflowTasksHistogram,
  };
}

function summarise(rows: Segments[]): WakeUpBreakdown['lastTenth'] {
  const p = (xs: number[]): Percentiles => {
    const q = percentiles(xs.map((x) => x / 1000));
    return { p50: round(q.p50, 2), p95: round(q.p95, 2), p99: round(q.p99, 2), max: round(q.max, 2) };
  };
  return {
    dueToTimerFired: p(rows.map((r) => r.dueToTimerFired)),
    timerFiredToTaskStarted: p(rows.map((r) => r.timerFiredToTaskStarted)),
    taskStartedToChargeScheduled: p(rows.map((r) => r.taskStartedToChargeScheduled)),
    chargeScheduledToStarted: p(rows.map((r) => r.chargeScheduledToStarted)),
  };
}

/** `workflowIds` in the order their charges were made; up to `sample` of them are read. */
export async function wakeUpBreakdown(client: Client, workflowIds: readonly string[], t0Ms: number, sample = 200): Promise<WakeUpBreakdown | null> {
  const step = Math.max(1, Math.floor(workflowIds.length / sample));
  const picked = workflowIds.filter((_id, i) => i % step === 0).slice(0, sample);
  const rows: Segments[] = [];
  const costs: CycleCost[] = [];
  for (const workflowId of picked) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const segments = segmentsOf(history.events ?? [], t0Ms);
    if (segments) rows.push(segments);
    const cost = cycleCostOf(history.events ?? [], t0Ms);
    if (cost) costs.push(cost);
  }
  if (rows.length === 0) return null;
  const cycleCost = summariseCosts(costs);
  return { sampled: rows.length, ...summarise(rows), lastTenth: summarise(rows.slice(Math.floor(rows.length * 0.9))), ...(cycleCost ? { cycleCost } : {}) };
}
