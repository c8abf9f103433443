// Activity stubs bound to the task queue whose worker runs them. createActivities groups the
// activities by queue (activities/index.ts) and daemon/workers.ts registers each group on its own
// worker; here each stub is typed to one group and takes its queue name by that group's role, so
// calling an activity on a queue that does not run it is a type error, not a task that waits
// unrun until its schedule-to-close timeout.
import { proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import type { ActivityGroups, TaskQueueRole } from '../activities/index.js';

/** Backoff of every database activity: 1 s doubling to 1 minute. One policy for all workflows. */
export const DATABASE_RETRY = { initialMs: 1_000, coefficient: 2, maximumMs: 60_000 } as const;

/** DATABASE_RETRY as Temporal's retry policy, optionally bounded to a number of attempts. */
export function databaseRetryPolicy(maximumAttempts?: number): RetryPolicy {
  const policy = { initialInterval: DATABASE_RETRY.initialMs, backoffCoefficient: DATABASE_RETRY.coefficient, maximumInterval: DATABASE_RETRY.maximumMs };
  return maximumAttempts === undefined ? policy : { ...policy, maximumAttempts };
}

/** Names of the queues a stub of role Q needs: none for the workflow's own queue. */
export type QueueNamesFor<Q extends TaskQueueRole> = { readonly [K in Exclude<Q, 'workflows'>]: string };

/**
 * Stubs for the activities of one task queue: `proxyQueue('amazonReads', taskQueues, options)`
 * offers exactly the activities the amazon-reads worker registers, on that queue. The
 * 'workflows' role runs on the calling workflow's own queue.
 */
export function proxyQueue<Q extends TaskQueueRole>(role: Q, queues: QueueNamesFor<Q>, options: Omit<ActivityOptions, 'taskQueue'>) {
  const taskQueue = role === 'workflows' ? undefined : (queues as Readonly<Record<string, string>>)[role];
  return proxyActivities<ActivityGroups[Q]>(taskQueue === undefined ? options : { ...options, taskQueue });
}

/** Local activities run inside the workflow worker, which registers only the 'workflows' group. */
export function proxyLocal(options: LocalActivityOptions) {
  return proxyLocalActivities<ActivityGroups['workflows']>(options);
}
