// Cuts a recorded history the way sdk-core cuts a workflow task when a query is answered while a
// local activity finishes (sdk-core managed_run.rs: a query response with a local activity
// resolution not yet given to the workflow forces a new workflow task): the local activity's
// marker stays in its workflow task, and the commands the workflow issued after the local
// activity returned move to a new, empty workflow task right behind it. Production records
// this whenever `billing show`, the HTTP API or the Web UI queries a subscription at that moment.
// CI met it as a failed query; a run of pause-holds-every-wait's failed-call scenario under CPU
// load with a query every 250 ms recorded it (1 run in 16): recordStatus's marker closing one task,
// a task scheduled and started at once with no event to trigger it, and in it the upsert and the
// first read of unpause-retries-failed-call that followed the status write — the shape built here.
// The SDK's replay resolves the local activity inside the first task, before looking ahead into
// the second; workflows/patch-decisions.ts explains what that breaks and how runs avoid it.
import type { ProtoJsonEvent } from './history-facts.js';

/** A proto-JSON history event with any attributes (ids are decimal strings, as protojson writes int64). */
type Event = ProtoJsonEvent & { eventId: string; eventTime?: unknown } & Record<string, unknown>;

const COMMAND_LINK = 'workflowTaskCompletedEventId';

function attributesOf(event: Event): Record<string, unknown> | undefined {
  const key = Object.keys(event).find((k) => k.endsWith('EventAttributes'));
  return key ? (event[key] as Record<string, unknown>) : undefined;
}

/** Indexes of local activity markers followed, in the same workflow task, by more commands. */
export function localActivitySplitPoints(events: readonly Event[]): number[] {
  const points: number[] = [];
  for (let i = 0; i + 1 < events.length; i += 1) {
    const event = events[i]!;
    if (event.markerRecordedEventAttributes?.markerName !== 'core_local_activity') continue;
    const task = attributesOf(event)?.[COMMAND_LINK];
    if (task !== undefined && attributesOf(events[i + 1]!)?.[COMMAND_LINK] === task) points.push(i);
  }
  return points;
}

/** `eventId` and every `…EventId` field (at any depth) above `after` moved up by `by`. */
function renumbered(value: unknown, after: number, by: number): unknown {
  if (Array.isArray(value)) return value.map((v) => renumbered(v, after, by));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (/^eventId$|EventId$/.test(key) && typeof v === 'string' && Number(v) > after) out[key] = String(Number(v) + by);
    else out[key] = renumbered(v, after, by);
  }
  return out;
}

/**
 * `events` with a forced workflow task after each local activity marker at `points` (indexes from
 * localActivitySplitPoints): scheduled, started and completed events inserted behind the marker,
 * later event ids and every reference to them moved up, and the commands that followed the marker
 * in its task linked to the new task. Throws on a point that is not such a marker.
 */
export function splitAfterLocalActivities(events: readonly Event[], points: readonly number[]): Event[] {
  const valid = new Set(localActivitySplitPoints(events));
  for (const p of points) if (!valid.has(p)) throw new Error(`event index ${p} is not a local activity marker followed by commands of its task`);
  let out = events.map((e) => structuredClone(e));
  // Last first: earlier indexes stay valid while later parts are renumbered.
  for (const point of [...points].sort((a, b) => b - a)) {
    const marker = out[point]!;
    const markerId = Number(marker.eventId);
    const task = attributesOf(marker)![COMMAND_LINK] as string;
    const scheduledTemplate = [...out.slice(0, point)].reverse().find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED')!;
    const startedTemplate = [...out.slice(0, point)].reverse().find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_STARTED')!;
    const later = out.slice(point + 1).map((e) => renumbered(e, markerId, 3) as Event);
    const newCompleted = String(markerId + 3);
    for (const e of later) {
      const attributes = attributesOf(e);
      if (attributes?.[COMMAND_LINK] === task) attributes[COMMAND_LINK] = newCompleted;
      else break;
    }
    const at = marker.eventTime;
    const inserted: Event[] = [
      {
        eventId: String(markerId + 1),
        eventTime: at,
        eventType: 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
        workflowTaskScheduledEventAttributes: { ...(scheduledTemplate.workflowTaskScheduledEventAttributes as object), attempt: 1 },
      },
      {
        eventId: String(markerId + 2),
        eventTime: at,
        eventType: 'EVENT_TYPE_WORKFLOW_TASK_STARTED',
        workflowTaskStartedEventAttributes: { ...(startedTemplate.workflowTaskStartedEventAttributes as object), scheduledEventId: String(markerId + 1) },
      },
      {
        eventId: newCompleted,
        eventTime: at,
        eventType: 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
        workflowTaskCompletedEventAttributes: { scheduledEventId: String(markerId + 1), startedEventId: String(markerId + 2), identity: 'split-history' },
      },
    ];
    out = [...out.slice(0, point + 1), ...inserted, ...later];
  }
  return out;
}
