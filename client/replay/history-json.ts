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

/** Parses what `temporal workflow show --output json` writes (proto-JSON: enum names, string int64s). */
export function historyFromProtoJson(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('expected an object with an "events" array');
  }
  const history = fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!history) throw new TypeError('not a workflow history');
  return history;
}

/** A History (e.g. from a handle's fetchHistory()) as proto-JSON, the form the committed history files hold. */
export function historyToProtoJson(history: History): { events: unknown[] } {
  return toJson(historyType, history) as { events: unknown[] };
}
