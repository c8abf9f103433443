// `billing replay <files>`: the upgrade gate on downloaded histories, no server needed. A
// committed history replays; the same history with its Create Charge activity renamed (what a
// workflow change without patched() does to a running subscription) fails, named, exit 1.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../client/cli.js';
import { HISTORIES_DIR } from '../../replay/history-facts.js';
import { fakeIo } from './support/fake-io.js';

const dir = mkdtempSync(join(tmpdir(), 'billing-replay-'));
const runIdOf = (file: string): string =>
  (JSON.parse(readFileSync(file, 'utf8')) as { events: { workflowExecutionStartedEventAttributes?: { originalExecutionRunId: string } }[] }).events[0]!
    .workflowExecutionStartedEventAttributes!.originalExecutionRunId;
const recorded = join(HISTORIES_DIR, 'completed.json');

function renamedActivity(): string {
  const history = JSON.parse(readFileSync(recorded, 'utf8')) as { events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[] };
  const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'chargeCycle');
  if (!scheduled) throw new Error('completed.json schedules no chargeCycle');
  scheduled.activityTaskScheduledEventAttributes!.activityType.name = 'chargeCycleElsewhere';
  const path = join(dir, 'changed.json');
  writeFileSync(path, JSON.stringify(history));
  return path;
}

describe('billing replay <history.json>…', () => {
  it('replays a recorded history on this code: exit 0, counted', async () => {
    const io = fakeIo();
    expect(await runCli(['replay', recorded], io)).toBe(0);
    expect(io.stdout).toBe('1 history from 1 file replayed on this code: 1 ok, 0 failed.\n');
    expect(io.stderr).toBe('replayed: 1/1\n');
  }, 60_000);

  it('a history this code does not reproduce fails by name with the SDK DeterminismViolationError, exit 1; --json lists it', async () => {
    const changed = renamedActivity();
    const io = fakeIo();
    expect(await runCli(['replay', recorded, changed], io)).toBe(1);
    // The reason as core states it, not its debug print of the Failure around it.
    expect(io.stdout).toContain(
      `FAILED ${changed} (run ${runIdOf(recorded)}): DeterminismViolationError: [TMPRL1100] Nondeterminism error: Activity type of scheduled event 'chargeCycleElsewhere' does not match activity type of activity command 'chargeCycle'\n`,
    );
    expect(io.stdout).toMatch(/2 histories from 2 files replayed on this code: 1 ok, 1 failed\.\n$/);
    expect(io.stderr).toContain('replayed: 2/2 (1 failed)');
    const json = fakeIo();
    expect(await runCli(['replay', changed, '--json'], json)).toBe(1);
    const report = JSON.parse(json.stdout) as { replayed: number; failed: { workflowId: string; error: { name: string } }[] };
    expect(report.replayed).toBe(1);
    expect(report.failed).toEqual([expect.objectContaining({ workflowId: changed, error: expect.objectContaining({ name: 'DeterminismViolationError' }) })]);
  }, 60_000);

  it('every unreadable, non-JSON or non-history file is named in one line before anything replays, exit 2', async () => {
    writeFileSync(join(dir, 'not-json.json'), 'x');
    writeFileSync(join(dir, 'empty.json'), '{"events":[]}');
    const io = fakeIo();
    const files = ['missing.json', join(dir, 'not-json.json'), join(dir, 'empty.json'), join(import.meta.dirname, '../../../package.json')];
    expect(await runCli(['replay', recorded, ...files], io)).toBe(2);
    const line = io.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain('file "missing.json" cannot be read (ENOENT)');
    expect(line).toContain('not-json.json" is not JSON');
    expect(line).toContain('empty.json" is not a workflow history (its "events" array is empty)');
    expect(line).toContain('package.json" is not a workflow history (expected an object with an "events" array)');
    expect(io.stdout).toBe('');
  });

  it('a history that does not start with WorkflowExecutionStarted is refused as input (sdk-core panicked and the command hung)', async () => {
    const whole = JSON.parse(readFileSync(recorded, 'utf8')) as { events: unknown[] };
    writeFileSync(join(dir, 'headless.json'), JSON.stringify({ events: whole.events.slice(1) }));
    writeFileSync(join(dir, 'blank-event.json'), '{"events":[{}]}');
    writeFileSync(join(dir, 'bogus-type.json'), '{"events":[{"eventType":"BOGUS"}]}');
    const io = fakeIo();
    expect(await runCli(['replay', join(dir, 'headless.json'), join(dir, 'blank-event.json'), join(dir, 'bogus-type.json')], io)).toBe(2);
    expect(io.stderr).toContain('headless.json" is not a workflow history (its first event is not WorkflowExecutionStarted');
    expect(io.stderr).toContain('blank-event.json" is not a workflow history (event 1 has no known event type and attributes)');
    expect(io.stderr).toContain('bogus-type.json" is not a workflow history');
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
  });

  it("reads the older CLI's enum names (WorkflowExecutionStarted), a directory as its *.json files, and a path given twice once", async () => {
    const sub = mkdtempSync(join(dir, 'histories-'));
    const pascal = (constant: string) =>
      constant
        .toLowerCase()
        .split('_')
        .map((w) => w[0]!.toUpperCase() + w.slice(1))
        .join('');
    const older = readFileSync(recorded, 'utf8').replace(/"EVENT_TYPE_([A-Z_]+)"/g, (_, name: string) => `"${pascal(name)}"`);
    expect(older).toContain('"eventType": "WorkflowExecutionStarted"');
    writeFileSync(join(sub, 'older-names.json'), older);
    writeFileSync(join(sub, 'same.json'), readFileSync(recorded));
    writeFileSync(join(sub, 'notes.txt'), 'not a history, not read');
    const io = fakeIo();
    // Three arguments, two files: the directory's two, and its same.json given twice more is read once.
    expect(await runCli(['replay', sub, join(sub, 'same.json'), join(sub, 'same.json')], io)).toBe(0);
    expect(io.stdout).toBe('2 histories from 2 files replayed on this code: 2 ok, 0 failed.\n');
  }, 60_000);

  it('an empty directory or an empty file is bad input, never a pass on nothing (fresh review)', async () => {
    const none = mkdtempSync(join(dir, 'none-'));
    writeFileSync(join(dir, 'blank.json'), '');
    const io = fakeIo();
    expect(await runCli(['replay', none, join(dir, 'blank.json')], io)).toBe(2);
    expect(io.stderr).toContain(`${JSON.stringify(none)} is a directory with no *.json file`);
    expect(io.stderr).toContain('blank.json" is empty;');
    expect(io.stdout).toBe('');
  });

  it('names the first 10 bad files and counts the rest, in one line', async () => {
    const io = fakeIo();
    const missing = Array.from({ length: 13 }, (_, i) => join(dir, `missing-${i}.json`));
    expect(await runCli(['replay', ...missing], io)).toBe(2);
    expect(io.stderr.match(/cannot be read/g)).toHaveLength(10);
    expect(io.stderr).toContain('… and 3 more file(s) like these');
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--limit and --query are for Temporal, not with files; bad values are named together', async () => {
    const withFiles = fakeIo();
    expect(await runCli(['replay', recorded, '--limit', '5'], withFiles)).toBe(2);
    expect(withFiles.stderr).toContain('cannot be given with history files');
    const bad = fakeIo();
    expect(await runCli(['replay', '--limit', '0', '--query', ' '], bad)).toBe(2);
    expect(bad.stderr).toBe(
      'error: --limit must be a whole number from 1 to 100000, got "0"; --query must be a Temporal visibility query, such as \'ExecutionStatus="Running"\', got an empty one\n',
    );
  });
});
