import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import pMap from 'p-map';
import { intOption, JSON_OPTION_HELP, type Command } from '../cli/command.js';
import { describeError } from '../cli/errors.js';
import { toJson } from '../cli/format.js';
import { escapeControls } from '../cli/terminal.js';
import { IMPORT_COLUMNS, parseImportCsv, REQUIRED_COLUMNS } from '../cli/import-rows.js';
import { collectProblems } from '../cli/problems.js';
import { backlogGate, workflowTaskBacklog } from '../workflow-backlog.js';
import { retryThrottled } from '../cli/retry-throttled.js';

/** Rows in flight at most (each one Get Charge Permission and a workflow start). */
const MAX_CONCURRENCY = 32;
/**
 * A row Amazon Pay throttles (429) or answers with a transient error is tried again, with
 * exponential backoff and jitter from 1 s to 30 s (Amazon Pay's advice for 429 and 5xx: retry with
 * exponential backoff), for up to this long before it is reported rejected. A start is idempotent.
 * A time budget, not a count: two imports sharing a sandbox quota of 1 call/s (or an import beside
 * a busy daemon) are throttled for minutes, and six tries (about a minute) rejected rows then.
 */
const ROW_RETRY_BUDGET_MS = 5 * 60_000;
/** Workflow tasks queued for the workers from which the import waits (client/workflow-backlog.ts). */
const DEFAULT_MAX_BACKLOG = 200;

interface RowResult {
  line: number;
  id: string | null;
  outcome: 'started' | 'unchanged' | 'rejected';
  reason: string | null;
}

export const importCommand: Command = {
  name: 'import',
  summary: 'start many subscriptions from a CSV file; bad rows are reported, the others started',
  positionals: [1, 1],
  options: { concurrency: { type: 'string' }, 'max-backlog': { type: 'string' } },
  help: `Usage: billing import <file.csv> [--concurrency n] [--max-backlog n] [--json]

Each row is checked and started like \`billing start\` (Charge Permission checked with Amazon Pay);
rows that fail are listed with their line number and reason, the others are started. Importing
the same file again starts nothing twice. Each row is one line; a row with the wrong number of
fields or a broken quote is rejected alone. At most --concurrency rows (1-${MAX_CONCURRENCY}, default 4) are in
flight; a row Amazon Pay throttles (429) or answers with a transient error is tried again,
1 s to 30 s apart (exponential backoff), for up to ${ROW_RETRY_BUDGET_MS / 60_000} minutes before it is rejected. Starts pause while more than
--max-backlog workflow tasks wait for the workers (Temporal's task queue statistics, which the
server refreshes every few seconds: a fast import runs past it by a few seconds' starts), so a
large file goes at the pace the workers take it. Exit code 1 when any row was rejected.

Columns (a header row naming them is required, in any order):
  required in every row: ${REQUIRED_COLUMNS.join(', ')}, and amount or amount_minor
  optional: ${IMPORT_COLUMNS.filter((c) => !(REQUIRED_COLUMNS as readonly string[]).includes(c) && c !== 'amount' && c !== 'amount_minor').join(', ')}
  interval: "month", "2 weeks", …; anchor: first billing date to charge, YYYY-MM-DDTHH:mm wall time in
  zone, at most one cycle in the past (for a subscription moved from another system, its next billing date);
  zone: IANA time zone (default UTC); end_after_cycles or end_at, not both

Options:
  --concurrency <n>            rows in flight at once, 1-${MAX_CONCURRENCY} (default 4)
  --max-backlog <n>            pause while more workflow tasks than this wait for the workers,
                               going on at half of it; 0: never pause (default ${DEFAULT_MAX_BACKLOG})
${JSON_OPTION_HELP}

Example file:
  id,charge_permission_id,amount,currency,interval,anchor,zone
  sub-2001,S01-1234567-1234567,14.00,USD,month,2027-01-31T09:00,America/New_York

Example:
  billing import customers.csv --concurrency 8
`,
  async run(ctx, values, [file]) {
    const path = resolve(ctx.io.cwd, file ?? '');
    // A file that cannot be read or whose header is wrong, and a bad --concurrency, are named together.
    const c = collectProblems();
    const concurrency = c.attempt(() => intOption(values, 'concurrency', 1, MAX_CONCURRENCY)) ?? 4;
    const maxBacklog = c.attempt(() => intOption(values, 'max-backlog', 0, 1_000_000)) ?? DEFAULT_MAX_BACKLOG;
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      c.add('file', `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const rows = text === undefined ? [] : (c.attempt(() => parseImportCsv(text)) ?? []);
    c.throwIfAny();
    const { client, deps } = await ctx.connect();
    const progress = ctx.progress(rows.length, 'importing');
    const lineStart = ctx.io.stderrIsTTY ? '\n' : '';
    const waitForWorkers =
      maxBacklog === 0
        ? () => Promise.resolve()
        : backlogGate(() => workflowTaskBacklog(deps), {
            high: maxBacklog,
            onPause: (backlog) =>
              ctx.io.err(
                `${lineStart}waiting for the workers: ${backlog} workflow tasks queued (--max-backlog ${maxBacklog}); going on at ${Math.floor(maxBacklog / 2)}\n`,
              ),
            onResume: (ms) => ctx.io.err(`${lineStart}going on after ${Math.round(ms / 1000)} s\n`),
            onUnreadable: (error) =>
              ctx.io.err(
                `${lineStart}warning: the workflows task queue's backlog cannot be read (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); starting without waiting for the workers\n`,
              ),
          });
    const results = await pMap(
      rows,
      async (row): Promise<RowResult> => {
        let result: RowResult;
        if (!row.input) result = { line: row.line, id: row.id ?? null, outcome: 'rejected', reason: row.problem ?? 'unreadable row' };
        else {
          try {
            await waitForWorkers();
            const input = row.input;
            const started = await retryThrottled(() => client.startSubscription(input), {
              budgetMs: ROW_RETRY_BUDGET_MS,
              minDelayMs: 1_000,
              maxDelayMs: 30_000,
            });
            result = { line: row.line, id: row.input.id, outcome: started.created ? 'started' : 'unchanged', reason: null };
          } catch (error) {
            result = { line: row.line, id: row.input.id, outcome: 'rejected', reason: describeError(error, importCommand) };
          }
        }
        progress.tick(result.outcome !== 'rejected');
        return result;
      },
      { concurrency },
    );
    progress.done();
    const count = (o: RowResult['outcome']): number => results.filter((r) => r.outcome === o).length;
    const summary = { rows: results.length, started: count('started'), unchanged: count('unchanged'), rejected: count('rejected') };
    const rejected = results.filter((r) => r.outcome === 'rejected');
    if (ctx.json) ctx.io.out(toJson({ summary, results }));
    else {
      ctx.io.out(`Imported ${path}: ${summary.rows} rows, ${summary.started} started, ${summary.unchanged} already there, ${summary.rejected} rejected\n`);
      for (const r of rejected) ctx.io.out(`  line ${r.line}${r.id ? ` (${escapeControls(r.id)})` : ''}: ${escapeControls(r.reason ?? '')}\n`);
    }
    return rejected.length > 0 ? 1 : 0;
  },
};
