// workflows/patch-decisions.ts on the real dev server: one marker at a run's start stands for the
// patches registered before it; a patch appended after it is decided at the start of each run —
// taken by runs started on the code that has it, not by a run that started before and continues
// on that code — and no patch is read lazily behind a local activity, so a history cut the way a
// query cuts it (test/replay/split-history.ts) still replays.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATCHES_DECIDED_AT_RUN_START } from '../../workflows/patches.js';
import { historyFromProtoJson, historyToProtoJson } from '../../client/replay/history-json.js';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from '../support/integration.js';
import { localActivitySplitPoints, splitAfterLocalActivities } from '../replay/split-history.js';
import { goSignal, LATER, OLDER } from './fixtures/patch-probe.js';

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
    for (const v of ['v1', 'v2']) bundles[v] = await bundleWorkflowCode({ workflowsPath: fixture(v), logger: silent });
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

  it('one marker for the older patches; a later patch is decided at the start, taken only by runs started on code that has it', async () => {
    const taskQueue = uniqueTaskQueue('patch-probe');
    const id = (s: string) => `patch-probe-${taskQueue}-${s}`;
    // A run started on v1 waits for its signal; v1's worker stops (its cache goes with it).
    const started = await withWorker('v1', taskQueue, async () => {
      const handle = await temporal.client.workflow.start('patchProbe', { taskQueue, workflowId: id('before') });
      for (let i = 0; i < 100 && !(await historyOf(id('before'))).some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'); i++)
        await new Promise((r) => setTimeout(r, 100));
      return handle;
    });
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
    const firstLocalActivity = (events: Events) => events.findIndex((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
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
});
