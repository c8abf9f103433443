// Proto-JSON history files (what `temporal workflow show --output json` writes, and the committed
// test/replay/histories) → History objects for Worker.runReplayHistories, and back.
//
// Why not the SDK's historyFromJSON: in this install @temporalio/common and @temporalio/proto each
// carry their own copy of protobufjs 8.8.1, so common's protojson rejects proto's types
// ("type must be a Type"). Loading protojson through @temporalio/proto's own resolution pairs
// the converter with the copy that made the types. (`npm dedupe` would make this unnecessary.)
import { createRequire } from 'node:module';
import type * as proto from '@temporalio/proto';

type History = proto.temporal.api.history.v1.IHistory;
interface ProtoJson {
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
  toJson(type: unknown, message: unknown): unknown;
}

// CommonJS on purpose: the patched root must be the module object itself, not an ESM namespace.
const requireHere = createRequire(import.meta.url);
const requireFromProto = createRequire(requireHere.resolve('@temporalio/proto'));
const { fromJson, toJson } = requireFromProto('protobufjs/ext/protojson') as ProtoJson;
const { patchProtobufRoot } = requireHere('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot(root: unknown): { lookupType(name: string): unknown };
};
const historyType = patchProtobufRoot(requireHere('@temporalio/proto')).lookupType('temporal.api.history.v1.History');

/**
 * Parses what `temporal workflow show --output json` writes (proto-JSON: enum names, string
 * int64s), also with the older CLI's enum names ("WorkflowExecutionStarted" for
 * "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"; the SDK's historyFromJSON reads both). Throws TypeError
 * saying what is wrong for anything the replayer could not follow: no events, an event without
 * a known type or attributes, a first event that is not WorkflowExecutionStarted (sdk-core panics
 * on that one instead of failing the replay).
 */
export function historyFromProtoJson(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('expected an object with an "events" array');
  }
  const events = (json as { events: unknown[] }).events;
  if (events.length === 0) throw new TypeError('its "events" array is empty');
  const history = fromJson(historyType, { ...json, events: events.map(withCurrentEnumNames) }, { ignoreUnknownFields: true }) as History | null;
  if (!history) throw new TypeError('not a workflow history');
  history.events?.forEach((event, i) => {
    const attributes = Object.keys(event).some((k) => k.endsWith('EventAttributes') && (event as Record<string, unknown>)[k]);
    if (!event.eventType || !attributes) throw new TypeError(`event ${i + 1} has no known event type and attributes`);
  });
  if (history.events?.[0]?.workflowExecutionStartedEventAttributes == null)
    throw new TypeError('its first event is not WorkflowExecutionStarted (a history must be whole, from the start of the run)');
  return history;
}

/** "WorkflowExecutionStarted" → "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED", for the enums a history event carries. */
function withCurrentEnumNames(event: unknown): unknown {
  if (typeof event !== 'object' || event === null) return event;
  const fix = (value: unknown, prefix: string): unknown =>
    typeof value === 'string' && value !== '' && !value.startsWith(`${prefix}_`) ? `${prefix}_${value.replace(/(?<=.)([A-Z])/g, '_$1').toUpperCase()}` : value;
  const e = { ...(event as Record<string, unknown>) };
  if ('eventType' in e) e.eventType = fix(e.eventType, 'EVENT_TYPE');
  for (const key of Object.keys(e).filter((k) => k.endsWith('EventAttributes'))) {
    const a = e[key];
    if (typeof a !== 'object' || a === null) continue;
    const attrs = { ...(a as Record<string, unknown>) };
    const taskQueue = attrs.taskQueue as Record<string, unknown> | undefined;
    if (taskQueue && typeof taskQueue === 'object') attrs.taskQueue = { ...taskQueue, kind: fix(taskQueue.kind, 'TASK_QUEUE_KIND') };
    for (const [field, prefix] of ENUM_FIELDS) if (field in attrs) attrs[field] = fix(attrs[field], prefix);
    e[key] = attrs;
  }
  return e;
}

const ENUM_FIELDS = [
  ['parentClosePolicy', 'PARENT_CLOSE_POLICY'],
  ['workflowIdReusePolicy', 'WORKFLOW_ID_REUSE_POLICY'],
  ['initiator', 'CONTINUE_AS_NEW_INITIATOR'],
  ['retryState', 'RETRY_STATE'],
] as const;

/** A History (e.g. from a handle's fetchHistory()) as proto-JSON, the form the committed history files hold. */
export function historyToProtoJson(history: History): { events: unknown[] } {
  return toJson(historyType, history) as { events: unknown[] };
}
