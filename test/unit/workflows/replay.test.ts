// Replays every recorded history (test/replay/histories, made by test/replay/record.ts) against
// the current workflow code: a change that would break running subscriptions or IPN handlers
// fails here with a DeterminismViolationError. No server needed.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../../daemon/workers.js';
import { historyFromProtoJson } from '../../../client/replay/history-json.js';
import { BOUNDED_CONTINUE_AS_NEW, PATCHES } from '../../../workflows/patches.js';
import { HISTORIES_DIR, historyEvents, isChangeVersionUpsert, localActivityType, patchIdsIn } from '../../replay/history-facts.js';

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** Activity types scheduled, local activity types recorded (from core's marker data) and workflow tasks, in a recorded history. */
function commandsOf(file: string): { activities: Record<string, number>; localActivities: Record<string, number>; workflowTasks: number } {
  const events = historyEvents(file);
  const activities: Record<string, number> = {};
  const localActivities: Record<string, number> = {};
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType.name;
    if (scheduled) activities[scheduled] = (activities[scheduled] ?? 0) + 1;
    const type = localActivityType(e);
    if (type) localActivities[type] = (localActivities[type] ?? 0) + 1;
  }
  return { activities, localActivities, workflowTasks: events.filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED').length };
}

describe('replaying recorded subscription and IPN handler histories', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent });
  }, 120_000);

  it('has the recorded shapes: subscriptions completed, dunning, messages, cancelled, continued-as-new; IPN handler paths', () => {
    for (const name of ['completed', 'dunning', 'messages', 'cancelled', 'continued-as-new-run1']) expect(files).toContain(`${name}.json`);
    for (const name of ['ipn-permission-closed', 'ipn-charge', 'ipn-refund', 'ipn-unknown-type', 'ipn-reaction-failed'])
      expect(files).toContain(`${name}.json`);
  });

  it('records status writes as local activities, leaves the status after a paid cycle to the charge, plans dates ahead (before-local-status-* keep the older shape)', () => {
    const current = commandsOf('completed.json');
    const before = commandsOf('before-local-status-completed.json');
    // Three cycles: before, each status write was an activity and each cycle planned its date alone.
    expect(before.activities.recordStatus).toBeGreaterThan(0);
    expect(before.localActivities.planCycle).toBeGreaterThanOrEqual(4);
    // Now the only activity is Create Charge; status writes are local, one planCycle covers the term.
    expect(Object.keys(current.activities)).toEqual(['chargeCycle']);
    expect(current.activities.chargeCycle).toBe(before.activities.chargeCycle);
    expect(current.localActivities.recordStatus).toBeGreaterThan(0);
    // The charge activity writes the status that follows a paid cycle: fewer writes than cycles.
    expect(current.localActivities.recordStatus).toBeLessThan(current.activities.chargeCycle ?? 0);
    expect(current.localActivities.planCycle).toBe(1);
    expect(current.workflowTasks).toBeLessThan(before.workflowTasks);
  });

  it('costs a cycle what it did before issue 15 (two workflow tasks, one activity); a plan change is its own write, one activity as before', () => {
    // Both: three one-second cycles; the later one also changed the plan once.
    const before = commandsOf('completed.json');
    const after = commandsOf('plan-change-written-explicitly.json');
    expect(after.activities).toEqual({ chargeCycle: before.activities.chargeCycle, recordPlanChange: 1 });
    expect(after.localActivities.recordStatus).toBe(before.localActivities.recordStatus);
    // The plan change's activity result wakes the workflow once; the cycles cost what they did.
    expect(after.workflowTasks).toBe(before.workflowTasks + 1);
  });

  it('continues as new at the bound (both runs recorded), and ordinary cycles still cost two workflow tasks each', () => {
    for (const [first, second, bound] of [
      ['continued-as-new.v2-run1.json', 'continued-as-new.v2-run2.json', 12],
      ['bounded-continue-as-new.v1-run1.json', 'bounded-continue-as-new.v1-run2.json', 3],
      // Patches decided at the run's start (a run-start marker): no task more per cycle.
      ['continued-as-new.v3-run1.json', 'continued-as-new.v3-run2.json', 12],
      ['bounded-continue-as-new.v2-run1.json', 'bounded-continue-as-new.v2-run2.json', 3],
      // The second run-start marker: one patch marker at each run's start.
      ['continued-as-new.v4-run1.json', 'continued-as-new.v4-run2.json', 12],
      ['bounded-continue-as-new.v3-run1.json', 'bounded-continue-as-new.v3-run2.json', 3],
    ] as const) {
      const [handedOver, ended] = [historyEvents(first), historyEvents(second)];
      expect(handedOver.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
      expect(ended.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
      // The bound's patch: its own marker, or a run-start marker that stands for it.
      const standsForBound = PATCHES.slice(PATCHES.findIndex((p) => p.id === BOUNDED_CONTINUE_AS_NEW)).filter((p) => p.runStart);
      expect([BOUNDED_CONTINUE_AS_NEW, ...standsForBound.map((p) => p.id)].some((id) => patchIdsIn(first).has(id))).toBe(true);
      for (const file of [first, second]) {
        const { activities, workflowTasks } = commandsOf(file);
        // Each run charges `bound` cycles (the second ends with the term, at its own bound).
        expect(activities.chargeCycle, file).toBe(bound);
        // Two workflow tasks per cycle (timer fired, charge completed) and the run's first one: the hand-over adds no task to a cycle.
        expect(workflowTasks, file).toBeLessThanOrEqual(2 * bound + 1);
      }
    }
    // Recorded before the bound: 16 cycles in one run, no hand-over at 12 (it still replays, below).
    expect(commandsOf('continued-as-new-run1.json').activities.chargeCycle).toBe(16);
  });

  it('starts a subscription with one patch marker: the second run-start marker stands for the ten a new run recorded before it', () => {
    // What a freshly started subscription holds while it sleeps: its events up to the first timer.
    const sleeping = (file: string) => {
      const events = historyEvents(file);
      const asleep = events.slice(0, events.findIndex((e) => e.eventType === 'EVENT_TYPE_TIMER_STARTED') + 1);
      const patchMarkers = asleep.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch').length;
      return { events: asleep.length, patchMarkers, changeVersionUpserts: asleep.filter(isChangeVersionUpsert).length };
    };
    // The same scenario recorded on the code before the second run-start marker and on today's.
    expect(sleeping('permission-closed-expired.v1.json')).toEqual({ events: 28, patchMarkers: 10, changeVersionUpserts: 10 });
    expect(sleeping('permission-closed-expired.v2.json')).toEqual({ events: 10, patchMarkers: 1, changeVersionUpserts: 1 });
    expect(sleeping('completed.v6.json')).toEqual({ events: 10, patchMarkers: 1, changeVersionUpserts: 1 });
  });

  it.each(['completed.json', 'ipn-charge.json'])(
    'fails on a workflow whose commands differ from %s (the check can fail)',
    { timeout: 120_000 },
    async (file) => {
      const changed = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./fixtures/changed-workflow.ts', import.meta.url)), logger: silent });
      const history = historyFromProtoJson(JSON.parse(readFileSync(`${HISTORIES_DIR}${file}`, 'utf8')));
      const results = [];
      for await (const result of Worker.runReplayHistories({ workflowBundle: changed }, [{ history, workflowId: 'changed' }])) results.push(result);
      expect(results[0]?.error?.name).toBe('DeterminismViolationError');
    },
  );

  it.each(files)('%s replays without nondeterminism', { timeout: 60_000 }, async (file) => {
    const history = historyFromProtoJson(JSON.parse(readFileSync(`${HISTORIES_DIR}${file}`, 'utf8')));
    expect(history.events?.length).toBeGreaterThan(10);
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle }, [{ history, workflowId: file }])) results.push(result);
    expect(results).toHaveLength(1);
    expect(results[0]!.error).toBeUndefined();
  });
});
