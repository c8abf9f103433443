import { intOption, JSON_OPTION_HELP, str, type Command } from '../cli/command.js';
import { EXIT, UsageError } from '../cli/errors.js';
import { createProgress } from '../cli/progress.js';
import { toJson } from '../cli/format.js';
import { collectProblems } from '../cli/problems.js';
import { InvalidInputError } from '../errors.js';
import type { ReplayReport } from '../replay/replay.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 100_000;

export const replayCommand: Command = {
  name: 'replay',
  summary: "replays workflow histories (running ones from Temporal, or downloaded files) on this checkout's workflow code: the gate before an upgrade",
  positionals: [0, 10_000],
  options: {
    limit: { type: 'string' },
    query: { type: 'string' },
  },
  help: `Usage: billing replay [--limit n] [--query <visibility query>] [--json]
       billing replay <history.json | directory>... [--json]

Replays workflow histories on the workflow code of this checkout (the bundle the daemon's
worker would run), as Temporal does when a worker picks up a workflow another version ran.
A history the code would not reproduce fails with a DeterminismViolationError: rolling out
this code would stall those workflows. Run it from the new version's checkout, against your
production Temporal, before an upgrade (docs/deploy.md). Nothing is changed anywhere:
activities are not called, their recorded results are read from the history.

Without files it downloads the histories of the workflows that --query matches in the
configured namespace (temporal.yaml / TEMPORAL_*), newest first, at most --limit.
With files it replays those, each one what \`temporal workflow show --workflow-id <id>
--output json\` writes, named by its path; a directory stands for the *.json files in it.

Temporal compares what the code does with what the history recorded by kind and identity:
activities, local activities, timers, child workflows, signals and patches, in order. It does not
compare a timer's duration or an activity's arguments: a change of those replays (it takes effect
from the next command), so it passes here too.

Temporal lists the newest first: --limit checks the most recent runs. The oldest ones have run
the oldest code; add them with a query on StartTime (see the examples).

Exit codes: 0 every history replayed, 1 at least one failed (each is listed) or Temporal could not
be reached, 2 bad input, 3 no workflow matched the query.

Options:
  --limit <n>                  at most this many workflows, 1-${MAX_LIMIT} (default ${DEFAULT_LIMIT})
  --query <visibility query>   which workflows (default: the running workflows of the
                               workflows task queue, temporal.yaml taskQueues.workflows), e.g.
                               'ExecutionStatus="Running" AND BillingStatus="past_due"'
${JSON_OPTION_HELP}

Examples:
  billing replay
  billing replay --limit 1000
  billing replay --query 'WorkflowType="subscriptionWorkflow" AND ExecutionStatus="Running"'
  billing replay --query 'SubscriptionId="sub-42"'
  billing replay --query 'ExecutionStatus="Running" AND StartTime < "2026-06-01T00:00:00Z"'
  temporal workflow show --workflow-id subscription-sub-42 --output json > sub-42.json
  billing replay sub-42.json histories/
`,
  async run(ctx, values, files) {
    const c = collectProblems();
    const limit = c.attempt(() => intOption(values, 'limit', 1, MAX_LIMIT));
    const queryText = str(values, 'query');
    c.attempt(() => {
      if (queryText !== undefined && queryText.trim() === '')
        throw InvalidInputError.of('query', 'must be a Temporal visibility query, such as \'ExecutionStatus="Running"\', got an empty one');
    });
    c.throwIfAny();
    if (files.length > 0 && (limit !== undefined || queryText !== undefined))
      throw new UsageError(
        'billing replay: --limit and --query choose workflows in Temporal; they cannot be given with history files (see `billing replay --help`)',
      );
    const { matchingHistories, readHistoryFiles, replayHistories } = await import('../replay/replay.js');
    const replayWithProgress = (total: number, histories: Parameters<typeof replayHistories>[0]): Promise<ReplayReport> => {
      const progress = createProgress((text) => ctx.io.err(text), ctx.io.stderrIsTTY, total, 'replayed', 'failed');
      return replayHistories(histories, (r) => progress.tick(r.error === undefined)).finally(() => progress.done());
    };
    let report: ReplayReport;
    let source: string;
    if (files.length > 0) {
      const histories = await readHistoryFiles(files);
      source = histories.length === 1 ? '1 file' : `${histories.length} files`;
      report = await replayWithProgress(histories.length, histories);
    } else {
      const connected = await ctx.connect();
      const query = queryText ?? `ExecutionStatus="Running" AND TaskQueue="${connected.config.temporal.taskQueues.workflows}"`;
      const { count, histories } = await matchingHistories(await connected.deps.temporal(), query, limit ?? DEFAULT_LIMIT);
      source = `${connected.endpoints.temporal}, namespace ${connected.endpoints.namespace}, query ${query}`;
      // Also when Temporal counted some that were gone by the list (finished and deleted meanwhile).
      report = count === 0 ? { replayed: 0, failed: [] } : await replayWithProgress(count, histories);
      if (report.replayed === 0) {
        if (ctx.json) ctx.io.out(toJson({ source, ...report }));
        else ctx.io.err(`No workflow matched (${source}): nothing replayed.\n`);
        return EXIT.notFound;
      }
    }
    if (ctx.json) ctx.io.out(toJson({ source, ...report }));
    else {
      for (const f of report.failed) ctx.io.out(`FAILED ${f.workflowId} (run ${f.runId}): ${f.error.name}: ${f.error.message}\n`);
      ctx.io.out(
        `${report.replayed} ${report.replayed === 1 ? 'history' : 'histories'} from ${source} replayed on this code: ${report.replayed - report.failed.length} ok, ${report.failed.length} failed.\n`,
      );
    }
    return report.failed.length === 0 ? EXIT.ok : EXIT.failure;
  },
};
