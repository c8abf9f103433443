// Facts read from a committed history file (test/replay/histories/*.json, proto-JSON as
// `temporal workflow show --output json` writes it): its events and the patch markers in it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const HISTORIES_DIR = fileURLToPath(new URL('./histories/', import.meta.url));

export interface ProtoJsonEvent {
  eventType: string;
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  markerRecordedEventAttributes?: { markerName: string; details?: Record<string, { payloads?: { data: string }[] } | undefined> };
  upsertWorkflowSearchAttributesEventAttributes?: { searchAttributes?: { indexedFields?: Record<string, unknown> } };
}

export function historyEvents(file: string): ProtoJsonEvent[] {
  return (JSON.parse(readFileSync(`${HISTORIES_DIR}${file}`, 'utf8')) as { events: ProtoJsonEvent[] }).events;
}

/** The JSON a marker's payload holds (core writes its marker data as json/plain payloads). */
function markerData(event: ProtoJsonEvent, field: string): unknown {
  const data = event.markerRecordedEventAttributes?.details?.[field]?.payloads?.[0]?.data;
  return data === undefined ? undefined : JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
}

/** The patch ids whose patched()/deprecatePatch() marker (core_patch) the history holds. */
export function patchIdsIn(file: string): Set<string> {
  const ids = new Set<string>();
  for (const event of historyEvents(file)) {
    if (event.markerRecordedEventAttributes?.markerName !== 'core_patch') continue;
    const data = markerData(event, 'patch-data') as { id?: string } | undefined;
    if (data?.id) ids.add(data.id);
  }
  return ids;
}

/** The activity type of a core_local_activity marker, or undefined for other events. */
export function localActivityType(event: ProtoJsonEvent): string | undefined {
  if (event.markerRecordedEventAttributes?.markerName !== 'core_local_activity') return undefined;
  return (markerData(event, 'data') as { activity_type?: string } | undefined)?.activity_type;
}

/** Whether `event` is sdk-core's TemporalChangeVersion search attribute upsert (it writes one with each patch marker). */
export function isChangeVersionUpsert(event: ProtoJsonEvent): boolean {
  return event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion !== undefined;
}
