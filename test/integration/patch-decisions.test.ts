// workflows/patch-decisions.ts on the real dev server: one marker at a run's start stands for the
// patches registered before it; a patch appended after it is decided at the start of each run —
// taken by runs started on the code that has it, not by a run that started before and continues
// on that code — and no patch is read lazily behind a local activity, so a history cut the way a
// query cuts it (test/replay/split-history.ts) still replays. A second run-start marker folds the
// first and the patches after it: new runs record only it; runs that hold the first one go on
// deciding as they recorded.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATCHES_DECIDED_AT_RUN_START, PATCHES_DECIDED_AT_RUN_START_2 } from '../../workflows/patches.js';
import { historyFromProtoJson, historyToProtoJson } from '../../client/replay/history-json.js';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from '../support/integration.js';
import { isChangeVersionUpsert } from '../replay/history-facts.js';
import { localActivitySplitPoints, splitAfterLocalActivities } from '../replay/split-history.js';
import { goSignal, LATER, LATEST, OLDER } from './fixtures/patch-probe.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
const fixture = (v: string) => fileURLToPath(new URL(`./fixtures/patch-probe-${v}.ts`, import.meta.url));

type Events = Parameters<typeof localActivitySplitPoints>[0];

/** Patch ids of the core_patch markers in `events`, with the index of each. */
function patchMarkers(events: Events): { id: string; index: number }[] {
  return events.flatMap((e, index) => {
    if (e.markerRecordedEventAttributes?.markerName !== 'core_patch') return [];
    const data = e.markerRecordedEventAttributes.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [{ id: (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id, index }] : [];
  });
}

describe('patches decided at the start of a run', () => {
  let temporal: TestTemporal;
  const bundles: Record<string, WorkflowBundleWithSourceMap> = {};
  beforeAll(async () => {
    temporal = await connectTestTemporal();
    for (const v of ['v1', 'v2', 'v3']) bundles[v] = await bundleWorkflowCode({ workflowsPath: fixture(v), logger: silent });
  }, 120_000);
  afterAll(async () => temporal?.close());

  /** Runs `body` with a worker on `taskQueue` using bundle `v`; the worker's cache dies with it (a restart). */
  async function withWorker<T>(v: string, taskQueue: string, body: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowBundle: bundles[v]!,
      activities: { echo: async (value: string) => value },
    });
    return worker.runUntil(body);
  }

  async function historyOf(workflowId: string): Promise<Events> {
    const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
    // proto-JSON as the committed histories hold it, for the same helpers.
    return historyToProtoJson(history).events as Events;
  }

  async function replays(v: string, events: Events): Promise<string | null> {
    const history = historyFromProtoJson({ events: splitAfterLocalActivities(events, localActivitySplitPoints(events)) });
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundles[v]! }, [{ history, workflowId: 'probe' }]))
      return r.error ? String(r.error) : null;
    return 'no replay result';
  }

  /** Starts patchProbe on bundle `v` and stops the worker (its cache goes with it) once the run waits for its signal. */
  async function startWaiting(v: string, taskQueue: string, workflowId: string) {
    return withWorker(v, taskQueue, async () => {
      const handle = await temporal.client.workflow.start('patchProbe', { taskQueue, workflowId });
      for (let i = 0; i < 100 && !(await historyOf(workflowId)).some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'); i++)
        await new Promise((r) => setTimeout(r, 100));
      return handle;
    });
  }

  const firstLocalActivity = (events: Events) => events.findIndex((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');

  it('one marker for the older patches; a later patch is decided at the start, taken only by runs started on code that has it', async () => {
    const taskQueue = uniqueTaskQueue('patch-probe');
    const id = (s: string) => `patch-probe-${taskQueue}-${s}`;
    // A run started on v1 waits for its signal; v1's worker stops.
    const started = await startWaiting('v1', taskQueue, id('before'));
    // v2's worker replays it from the start and finishes it; a run started on v2 takes the later patch.
    const [before, after] = await withWorker('v2', taskQueue, async () => {
      await started.signal(goSignal);
      const fresh = await temporal.client.workflow.start('patchProbe', { taskQueue, workflowId: id('after') });
      await fresh.signal(goSignal);
      return Promise.all([started.result(), fresh.result()]);
    });
    expect(before).toEqual({ [OLDER]: true, [PATCHES_DECIDED_AT_RUN_START]: true, [LATER]: false });
    expect(after).toEqual({ [OLDER]: true, [PATCHES_DECIDED_AT_RUN_START]: true, [LATER]: true });

    const beforeEvents = await historyOf(id('before'));
    const afterEvents = await historyOf(id('after'));
    // The older patch has no marker of its own; every marker precedes the first local activity.
    expect(patchMarkers(beforeEvents).map((m) => m.id)).toEqual([PATCHES_DECIDED_AT_RUN_START]);
    expect(patchMarkers(afterEvents).map((m) => m.id)).toEqual([PATCHES_DECIDED_AT_RUN_START, LATER]);
    for (const events of [beforeEvents, afterEvents]) for (const m of patchMarkers(events)) expect(m.index).toBeLessThan(firstLocalActivity(events));

    // Both replay on v2 even when every local activity is cut as a query cuts it.
    expect(await replays('v2', beforeEvents)).toBeNull();
    expect(await replays('v2', afterEvents)).toBeNull();
    // The run recorded with the later patch cannot go back to code without it (the check can fail).
    expect(await replays('v1', afterEvents)).toMatch(/[Nn]ondeterminism/);
  }, 120_000);

  it('a second run-start marker: new runs record only it (and the patches after it); runs holding the first go on deciding as recorded', async () => {
    const taskQueue = uniqueTaskQueue('patch-probe-2');
    const id = (s: string) => `patch-probe-${taskQueue}-${s}`;
    // Runs started on v1 (the first marker) and on v2 (the first marker and LATER) wait for their signals.
    const onV1 = await startWaiting('v1', taskQueue, id('v1'));
    const onV2 = await startWaiting('v2', taskQueue, id('v2'));
    // v3's worker replays both from the start and finishes them; a run started on v3 records the second marker.
    const [fromV1, fromV2, fresh] = await withWorker('v3', taskQueue, async () => {
      const onV3 = await temporal.client.workflow.start('patchProbe', { taskQueue, workflowId: id('v3') });
      for (const handle of [onV1, onV2, onV3]) await handle.signal(goSignal);
      return Promise.all([onV1.result(), onV2.result(), onV3.result()]);
    });
    const notFolded = { [PATCHES_DECIDED_AT_RUN_START_2]: false, [LATEST]: false };
    expect(fromV1).toEqual({ [OLDER]: true, [PATCHES_DECIDED_AT_RUN_START]: true, [LATER]: false, ...notFolded });
    expect(fromV2).toEqual({ [OLDER]: true, [PATCHES_DECIDED_AT_RUN_START]: true, [LATER]: true, ...notFolded });
    expect(fresh).toEqual({ [OLDER]: true, [PATCHES_DECIDED_AT_RUN_START]: true, [LATER]: true, [PATCHES_DECIDED_AT_RUN_START_2]: true, [LATEST]: true });

    const [v1Events, v2Events, v3Events] = await Promise.all([historyOf(id('v1')), historyOf(id('v2')), historyOf(id('v3'))]);
    // The older runs hold what they recorded; the new run one marker for everything before the second, then LATEST.
    expect(patchMarkers(v1Events).map((m) => m.id)).toEqual([PATCHES_DECIDED_AT_RUN_START]);
    expect(patchMarkers(v2Events).map((m) => m.id)).toEqual([PATCHES_DECIDED_AT_RUN_START, LATER]);
    expect(patchMarkers(v3Events).map((m) => m.id)).toEqual([PATCHES_DECIDED_AT_RUN_START_2, LATEST]);
    // sdk-core's TemporalChangeVersion upsert goes with each marker: two, not one per patch.
    expect(v3Events.filter(isChangeVersionUpsert)).toHaveLength(2);
    for (const events of [v1Events, v2Events, v3Events]) for (const m of patchMarkers(events)) expect(m.index).toBeLessThan(firstLocalActivity(events));

    // All three replay on v3 with every local activity cut as a query cuts it.
    for (const events of [v1Events, v2Events, v3Events]) expect(await replays('v3', events)).toBeNull();
    // The run recorded with the second marker cannot go back to code without it (the check can fail).
    expect(await replays('v2', v3Events)).toMatch(/[Nn]ondeterminism/);
  }, 120_000);
});
