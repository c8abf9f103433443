// Back-pressure for bulk starts (`billing import`): wait while the workflows task queue holds more
// workflow tasks than the workers take. Seen on the dev server (2026-11-30, 2 cores, the idle
// benchmark importing 100,000): the import started 31 subscriptions/s, the worker ran about 22
// first workflow tasks/s, so a backlog built up — and while the starts went on, the server handed
// that backlog out at 2 tasks/s (its SQLite writes for the starts crowd out the backlog's reads):
// 12,516 tasks waited 20 minutes. With the starts stopped it drained at 22/s. Pausing the starts
// while a backlog builds keeps each task going straight to a waiting worker, at the workers' pace.
import proto from '@temporalio/proto';
import type { BillingClientDeps } from './deps.js';

/**
 * Workflow tasks waiting in the workflows task queue (Temporal DescribeTaskQueue with
 * reportStats: ApproximateBacklogCount, Temporal server 1.25 and later, Temporal Cloud); null when
 * the server does not report it. Throws what the Temporal client throws.
 */
export async function workflowTaskBacklog(deps: Pick<BillingClientDeps, 'temporal' | 'taskQueues'>): Promise<number | null> {
  const client = await deps.temporal();
  const response = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: deps.taskQueues.workflows, kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    reportStats: true,
  });
  const count = response.stats?.approximateBacklogCount;
  return count === undefined || count === null ? null : Number(count);
}

export interface BacklogGateOptions {
  /** Starts pause once the backlog reaches this many tasks (> 0). */
  high: number;
  /** …and go on once it is down to this many (default high / 2). */
  low?: number;
  /** How often the backlog is read (ms, default 1,000; one read serves every caller meanwhile). */
  everyMs?: number;
  /** Told when starts pause (with the backlog read) and when they go on. */
  onPause?: (backlog: number) => void;
  onResume?: (pausedMs: number) => void;
  /** Told once when the backlog cannot be read (the starts then go on without waiting). */
  onUnreadable?: (error: unknown) => void;
  clock?: { now: () => number; sleep: (ms: number) => Promise<void> };
}

/**
 * A function to await before each start: it resolves at once while the backlog is below `high`
 * (or not reported, or unreadable: a failed read never holds an import), and otherwise when it
 * has fallen to `low`. The backlog is read at most once per `everyMs`.
 */
export function backlogGate(readBacklog: () => Promise<number | null>, options: BacklogGateOptions): () => Promise<void> {
  if (!(options.high > 0)) throw new RangeError(`high must be > 0, got ${options.high}`);
  const low = options.low ?? Math.floor(options.high / 2);
  const everyMs = options.everyMs ?? 1_000;
  const clock = options.clock ?? realClock;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<number | null> | null = null;
  let paused: { since: number } | null = null;
  let told = false;
  const current = async (): Promise<number | null> => {
    if (reading && clock.now() - readAt < everyMs) return reading;
    readAt = clock.now();
    reading = readBacklog().catch((error: unknown) => {
      if (!told) options.onUnreadable?.(error);
      told = true;
      return null;
    });
    return reading;
  };
  return async () => {
    for (;;) {
      const backlog = await current();
      const limit = paused ? low : options.high - 1;
      if (backlog === null || backlog <= limit) {
        if (paused) {
          options.onResume?.(clock.now() - paused.since);
          paused = null;
        }
        return;
      }
      if (!paused) {
        paused = { since: clock.now() };
        options.onPause?.(backlog);
      }
      await clock.sleep(everyMs);
    }
  };
}

const realClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };
