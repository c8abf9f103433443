// Replays every recorded history (test/replay/histories, made by test/replay/record.ts) against
// the current workflow code: a change that would break running subscriptions or IPN handlers
// fails here with a DeterminismViolationError. No server needed.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../../daemon/workers.js';
import { historyFromProtoJson } from '../../support/history-json.js';

const HISTORIES_DIR = fileURLToPath(new URL('../../replay/histories/', import.meta.url));
const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

describe('replaying recorded subscription and IPN handler histories', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent });
  }, 120_000);

  it('has the recorded shapes: subscriptions completed, dunning, messages, cancelled, continued-as-new; IPN handler paths', () => {
    for (const name of ['completed', 'dunning', 'messages', 'cancelled', 'continued-as-new-run1']) expect(files).toContain(`${name}.json`);
    for (const name of ['ipn-permission-closed', 'ipn-charge', 'ipn-refund', 'ipn-unknown-type', 'ipn-reaction-failed']) expect(files).toContain(`${name}.json`);
  });

  it.each(['completed.json', 'ipn-charge.json'])('fails on a workflow whose commands differ from %s (the check can fail)', { timeout: 120_000 }, async (file) => {
    const changed = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./fixtures/changed-workflow.ts', import.meta.url)), logger: silent });
    const history = historyFromProtoJson(JSON.parse(readFileSync(`${HISTORIES_DIR}${file}`, 'utf8')));
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: changed }, [{ history, workflowId: 'changed' }])) results.push(result);
    expect(results[0]?.error?.name).toBe('DeterminismViolationError');
  });

  it.each(files)('%s replays without nondeterminism', { timeout: 60_000 }, async (file) => {
    const history = historyFromProtoJson(JSON.parse(readFileSync(`${HISTORIES_DIR}${file}`, 'utf8')));
    expect(history.events?.length).toBeGreaterThan(10);
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle }, [{ history, workflowId: file }])) results.push(result);
    expect(results).toHaveLength(1);
    expect(results[0]!.error).toBeUndefined();
  });
});
