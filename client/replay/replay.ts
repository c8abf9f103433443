// Replays workflow histories on this checkout's workflow code: the gate before an upgrade
// (docs/deploy.md). A history the new code would not reproduce command for command fails with
// the SDK's DeterminismViolationError; nothing runs against Temporal or Amazon Pay meanwhile
// (activities are not executed on replay, their recorded results are read from the history).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker, type ReplayResult } from '@temporalio/worker';
import type * as proto from '@temporalio/proto';
import { workflowBundle } from '../../daemon/workers.js';
import { InvalidInputError } from '../errors.js';
import { historyFromProtoJson } from './history-json.js';

type History = proto.temporal.api.history.v1.IHistory;

const SHOW_OUTPUT = 'what `temporal workflow show --workflow-id <id> --output json` writes';

export interface HistoryToReplay {
  /** The workflow id, or the file name a downloaded history came from. */
  workflowId: string;
  history: History;
}

export interface ReplayFailure {
  workflowId: string;
  runId: string;
  /** DeterminismViolationError or ReplayError. */
  error: { name: string; message: string };
}

export interface ReplayReport {
  replayed: number;
  failed: ReplayFailure[];
}

/** Problems named one by one at most; the rest are counted (3,000 missing files made a 197 KB line). */
const MAX_NAMED_PROBLEMS = 10;

/**
 * Reads history files as `temporal workflow show --workflow-id … --output json` writes them; a
 * directory stands for the *.json files in it (not its subdirectories), a path given twice is
 * read once. Every file is read before any replays: InvalidInputError names each one that is
 * missing, not JSON, or not a whole workflow history (field `file`; the first 10, then how many
 * more), so a bad list fails whole and at once.
 */
export async function readHistoryFiles(paths: readonly string[]): Promise<HistoryToReplay[]> {
  const problems: { field: string; message: string }[] = [];
  const histories: HistoryToReplay[] = [];
  const seen = new Set<string>();
  const expanded = await expandDirectories(paths);
  for (const dir of expanded.empty) problems.push({ field: 'file', message: `${JSON.stringify(dir)} is a directory with no *.json file` });
  for (const path of expanded.paths) {
    if (seen.has(resolve(path))) continue;
    seen.add(resolve(path));
    const problem = (why: string) => problems.push({ field: 'file', message: `${JSON.stringify(path)} ${why}` });
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      problem(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      continue;
    }
    if (text.trim() === '') {
      problem(`is empty; expected ${SHOW_OUTPUT}`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      problem(`is not JSON; expected ${SHOW_OUTPUT}`);
      continue;
    }
    try {
      histories.push({ workflowId: path, history: historyFromProtoJson(json) });
    } catch (error) {
      problem(`is not a workflow history (${error instanceof Error ? error.message : String(error)}); expected ${SHOW_OUTPUT}`);
    }
  }
  if (problems.length > MAX_NAMED_PROBLEMS) {
    const more = problems.length - MAX_NAMED_PROBLEMS;
    throw new InvalidInputError([...problems.slice(0, MAX_NAMED_PROBLEMS), { field: 'file', message: `… and ${more} more file(s) like these` }]);
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return histories;
}

/** Each directory replaced by its *.json files, sorted; other paths kept (a missing one is named later); directories without one in `empty` (a gate must not pass on nothing). */
async function expandDirectories(paths: readonly string[]): Promise<{ paths: string[]; empty: string[] }> {
  const out: string[] = [];
  const empty: string[] = [];
  for (const path of paths) {
    const isDirectory = await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDirectory) {
      out.push(path);
      continue;
    }
    const found = (await readdir(path)).filter((f) => f.endsWith('.json')).sort();
    if (found.length === 0) empty.push(path);
    out.push(...found.map((f) => join(path, f)));
  }
  return { paths: out, empty };
}

/**
 * The workflows a visibility query matches (newest first, as Temporal lists them), at most
 * `limit`, with their histories downloaded 5 at a time. `count` is Temporal's own count of the
 * matches, for progress. A query Temporal refuses becomes InvalidInputError on field `query`
 * with the server's reason.
 */
export async function matchingHistories(client: Client, query: string, limit: number): Promise<{ count: number; histories: AsyncIterable<HistoryToReplay> }> {
  let count: number;
  try {
    count = (await client.workflow.count(query)).count;
  } catch (error) {
    // The client's ServiceError wraps the gRPC error: INVALID_ARGUMENT (3) when the query does not
    // parse or names an unknown search attribute; its details say which.
    const grpc = (error as { cause?: { code?: unknown; details?: unknown } }).cause;
    if (grpc?.code === 3) throw InvalidInputError.of('query', `was refused by Temporal: ${String(grpc.details ?? (error as Error).message).split('\n')[0]}`);
    throw error;
  }
  async function* firstN(): AsyncIterable<HistoryToReplay> {
    if (limit === 0) return;
    let taken = 0;
    for await (const { workflowId, history } of client.workflow.list({ query }).intoHistories({ concurrency: 5, bufferLimit: 20 })) {
      yield { workflowId, history: history as History };
      if (++taken >= limit) return;
    }
  }
  return { count: Math.min(count, limit), histories: firstN() };
}

/**
 * Replays each history on the daemon's workflow bundle (daemon/workers.ts, so the same code and
 * patches the worker would run), one at a time; `onResult` sees each result as it comes.
 */
export async function replayHistories(
  histories: AsyncIterable<HistoryToReplay> | Iterable<HistoryToReplay>,
  onResult?: (r: ReplayResult) => void,
): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: 0, failed: [] };
  quietSdkLogs();
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    report.replayed++;
    if (result.error)
      report.failed.push({
        workflowId: result.workflowId,
        runId: result.runId,
        error: { name: result.error.name, message: readableReplayError(result.error.message) },
      });
    onResult?.(result);
  }
  return report;
}

/**
 * What a replay failure says, for a person: core wraps the reason in a debug print of its Failure
 * ("Failure { failure: Some(Failure { message: \"[TMPRL1100] Nondeterminism error: …\", source: …,
 * stack_trace: …") and sometimes a whole HistoryEvent with its payloads; the reason is the first
 * `message: "…"` in it. Otherwise the first line, at most 500 characters.
 */
export function readableReplayError(text: string): string {
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(text);
  const reason = inner ? inner[1]!.replace(/\\(["\\])/g, '$1') : (text.split('\n')[0] ?? '');
  return reason.length > 500 ? `${reason.slice(0, 497)}...` : reason;
}

/**
 * The replay worker logs each state change at INFO, core a WARN with each nondeterminism it finds,
 * and the SDK an ERROR with a stack for a workflow it cannot run: the report says all of them. The Runtime can be installed once per
 * process: a caller that installed its own (a test, the daemon) keeps it.
 */
function quietSdkLogs(): void {
  try {
    // The JS side's logs go nowhere (a workflow type missing from the bundle logged a 15-line stack
    // trace per history); core's errors still reach stderr.
    Runtime.install({ logger: new DefaultLogger('ERROR', () => {}), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    // Already installed.
  }
}
