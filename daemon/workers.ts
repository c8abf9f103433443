import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type ActivityInterceptors, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ActivityGroups } from '../activities/index.js';
import { cachedBundle } from './bundle-cache.js';
import { CHARGE_HEARTBEAT_EVERY_MS } from '../activities/charges.js';
import { databaseFailure } from '../activities/database-failure.js';
import type { TemporalConfig } from '../config/temporal.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/**
 * Bundled once per process: webpack takes seconds of CPU, and every worker of the process shares
 * it. With BILLING_WORKFLOW_BUNDLE_CACHE set (a directory; the test suite sets it for its run, whose
 * many processes would otherwise each bundle) the bundle is read from and written to that
 * directory under a hash of the sources it can include (daemon/bundle-cache.ts).
 */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  const build = () => bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  const cacheDir = process.env.BILLING_WORKFLOW_BUNDLE_CACHE;
  bundle ??= cacheDir ? cachedBundle(cacheDir, build) : build();
  return bundle;
}

const quietBundlerLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string, meta?: unknown) => console.error(m, meta), log() {} };

export interface WorkerSetOptions {
  connection: NativeConnection;
  namespace: string;
  temporal: Pick<TemporalConfig, 'taskQueues' | 'worker' | 'rateLimits'>;
  /** One group per task queue; each worker registers only its own group. */
  activities: ActivityGroups;
}

/**
 * Three workers on one connection, one per task queue: workflows with database and schedule
 * activities; Create Charge alone on a queue whose rate the server caps for all replicas;
 * the other Amazon Pay calls on their own capped queue.
 */
export async function createWorkers(options: WorkerSetOptions): Promise<Worker[]> {
  const { connection, namespace, temporal, activities } = options;
  const { taskQueues, worker, rateLimits } = temporal;
  const common = { connection, namespace, shutdownGraceTime: worker.shutdownGraceTimeMs, interceptors: { activity: [databaseErrorsInOneLine] } };
  return Promise.all([
    Worker.create({
      ...common,
      taskQueue: taskQueues.workflows,
      workflowBundle: await workflowBundle(),
      activities: activities.workflows,
      maxCachedWorkflows: worker.maxCachedWorkflows,
      stickyQueueScheduleToStartTimeout: worker.stickyQueueScheduleToStartTimeoutMs,
      maxConcurrentWorkflowTaskExecutions: Math.min(worker.maxConcurrentWorkflowTaskExecutions, Math.max(worker.maxCachedWorkflows, 2)),
      maxConcurrentActivityTaskExecutions: worker.maxConcurrentActivityTaskExecutions,
    }),
    Worker.create({
      ...common,
      taskQueue: taskQueues.charges,
      activities: activities.charges,
      maxConcurrentActivityTaskExecutions: worker.maxConcurrentActivityTaskExecutions,
      maxTaskQueueActivitiesPerSecond: rateLimits.createChargePerSecond,
      // Heartbeats go out as the attempt makes them (every 4 s, activities/charges.ts), not 0.8 ×
      // the heartbeat timeout later: the timeout (20 s) then has room for a slow event loop.
      maxHeartbeatThrottleInterval: CHARGE_HEARTBEAT_EVERY_MS,
    }),
    Worker.create({
      ...common,
      taskQueue: taskQueues.amazonReads,
      activities: activities.amazonReads,
      maxConcurrentActivityTaskExecutions: worker.maxConcurrentActivityTaskExecutions,
      maxTaskQueueActivitiesPerSecond: rateLimits.amazonReadsPerSecond,
    }),
  ]);
}

/**
 * Every activity's database error reaches Temporal as one line without the SQL parameters
 * (activities/database-failure.ts); any other error passes unchanged.
 */
function databaseErrorsInOneLine(): ActivityInterceptors {
  return {
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (error) {
          throw databaseFailure(error) ?? error;
        }
      },
    },
  };
}

/** Runs workers until shutdown; resolves when all have stopped, rejects if one fails. */
export async function runWorkers(workers: Worker[]): Promise<void> {
  const runs = workers.map((w) => w.run());
  try {
    await Promise.all(runs);
  } catch (error) {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(runs);
    throw error;
  }
}
