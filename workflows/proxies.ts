import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { formatMinor } from './format.js';
import type { ChargeCycleInput, SubscriptionWorkflowInput } from './types.js';

type Activities = ReturnType<typeof createActivities>;

/** Failure types the charge activity raises that no retry can fix (activities/errors.ts). */
const NON_RETRYABLE = ['AmazonPayInvalidRequest', 'DuplicateChargeRecorded', 'InvalidChargeInput'];

/**
 * The activity stubs a subscription uses, each on the task queue whose budget it spends:
 * Create Charge on the rate-capped charges queue, other Amazon Pay calls on their own queue,
 * database work and schedule math on the workflow's queue.
 */
export function createActivityProxies(input: SubscriptionWorkflowInput) {
  const db = proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  // Zone math runs in (local) activities so its result sits in history: a tzdata change in a
  // later Node release cannot change a replay.
  const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 5 } });
  // Status writes run as local activities: the same idempotent database write, but no task
  // queue round trip and no extra workflow task, which halves what a billing cycle costs the
  // Temporal server. Retried like `db` until PostgreSQL answers (long backoffs become timers).
  const localDb = proxyLocalActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  const amazon = proxyActivities<Activities>({
    taskQueue: input.taskQueues.amazonReads,
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '1 hour',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', nonRetryableErrorTypes: NON_RETRYABLE },
  });

  function charge(args: ChargeCycleInput) {
    const { chargeCycle } = proxyActivities<Activities>({
      taskQueue: input.taskQueues.charges,
      // One attempt: the HTTP client's own timeout is shorter, so an attempt never hangs; a
      // worker that dies mid-call is noticed when this runs out, and the charge retried (same key).
      startToCloseTimeout: input.policy.chargeAttemptTimeoutMs ?? '2 minutes',
      // All attempts together; afterwards the outcome is unknown and the workflow says so.
      scheduleToCloseTimeout: input.policy.chargeRetryWindowMs,
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: NON_RETRYABLE },
      summary: `Create Charge ${formatMinor(args.amountMinor, args.currency)}, cycle ${args.cycle}${args.attempt > 1 ? `, attempt ${args.attempt}` : ''}`,
    });
    return chargeCycle(args);
  }

  return { db, localDb, local, amazon, charge };
}

export type ActivityProxies = ReturnType<typeof createActivityProxies>;
