import { formatMoney, moneyFromDto } from '../billing/money.js';
import { DATABASE_RETRY, databaseRetryPolicy, proxyLocal, proxyQueue } from './queues.js';
import type { ChargeCycleInput, SubscriptionWorkflowInput } from './types.js';
import { NON_RETRYABLE_FAILURE_TYPES } from '../billing/vocabulary.js';

/** How long a call other than Create Charge is retried before the subscription shows needs_attention. */
export const DEFAULT_ACTIVITY_RETRY_WINDOW_MS = 60 * 60_000;

/**
 * How long a Create Charge attempt may go without a heartbeat before Temporal retries it (same
 * idempotency key). The activity heartbeats every few seconds while it runs (activities/charges.ts);
 * the charges worker sends them at least every CHARGE_HEARTBEAT_THROTTLE_MS (daemon/workers.ts).
 */
export const DEFAULT_CHARGE_HEARTBEAT_TIMEOUT_MS = 20_000;

/** Attempts a retry policy makes before its backoffs add up to `windowMs` (at least 2). */
export function attemptsWithin(windowMs: number, { initialMs, coefficient, maximumMs }: { initialMs: number; coefficient: number; maximumMs: number }): number {
  let attempts = 1;
  for (let waited = 0, delay = initialMs; waited < windowMs && attempts < 10_000; attempts += 1, delay = Math.min(delay * coefficient, maximumMs))
    waited += delay;
  return Math.max(2, attempts);
}

/**
 * The activity stubs a subscription uses, each on the task queue whose budget it spends:
 * Create Charge on the rate-capped charges queue, other Amazon Pay calls on their own queue,
 * database work and schedule math on the workflow's queue.
 */
export function createActivityProxies(input: SubscriptionWorkflowInput, options: { chargeHeartbeat?: boolean } = {}) {
  // Every call but Create Charge is retried for this long, then the workflow's guard takes over
  // (needs_attention and a retry schedule, workflows/guarded-calls.ts): a failure stays visible.
  const retryWindow = input.policy.activityRetryWindowMs ?? DEFAULT_ACTIVITY_RETRY_WINDOW_MS;
  const db = proxyQueue(
    'workflows',
    {},
    {
      startToCloseTimeout: '30 seconds',
      scheduleToCloseTimeout: retryWindow,
      retry: databaseRetryPolicy(),
    },
  );
  // Zone math runs in (local) activities so its result sits in history: a tzdata change in a
  // later Node release cannot change a replay.
  const local = proxyLocal({
    startToCloseTimeout: '10 seconds',
    scheduleToCloseTimeout: retryWindow,
    retry: { maximumAttempts: Math.min(5, attemptsWithin(retryWindow, DATABASE_RETRY)) },
  });
  // Status writes run as local activities: the same idempotent database write, but no task
  // queue round trip and no extra workflow task, which halves what a billing cycle costs the
  // Temporal server. Retried like `db` until PostgreSQL answers (long backoffs become timers).
  const localDb = proxyLocal({
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: retryWindow,
    // The worker does not end a failing local activity at its schedule-to-close timeout (measured
    // with SDK 1.24: retried past it for good), so the window is also an attempt count.
    retry: databaseRetryPolicy(attemptsWithin(retryWindow, DATABASE_RETRY)),
  });
  const amazon = proxyQueue('amazonReads', input.taskQueues, {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: retryWindow,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
  });

  function charge(args: ChargeCycleInput) {
    const { chargeCycle } = proxyQueue('charges', input.taskQueues, {
      // One attempt: the HTTP client's own timeout is shorter, so an attempt never hangs; a
      // worker that dies mid-call is noticed when this runs out, and the charge retried (same key).
      startToCloseTimeout: input.policy.chargeAttemptTimeoutMs ?? '2 minutes',
      // An attempt that never reached a worker (its start recorded, the task lost on the way:
      // temporalio/temporal#11733) is noticed when no heartbeat comes (patch CHARGE_ATTEMPT_HEARTBEAT).
      ...(options.chargeHeartbeat ? { heartbeatTimeout: input.policy.chargeHeartbeatTimeoutMs ?? DEFAULT_CHARGE_HEARTBEAT_TIMEOUT_MS } : {}),
      // All attempts together; afterwards the outcome is unknown and the workflow says so.
      scheduleToCloseTimeout: input.policy.chargeRetryWindowMs,
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
      summary: `Create Charge ${formatMoney(moneyFromDto({ amountMinor: args.amountMinor, currency: args.currency }))}, cycle ${args.cycle}${args.attempt > 1 ? `, attempt ${args.attempt}` : ''}`,
    });
    return chargeCycle(args);
  }

  return { db, localDb, local, amazon, charge };
}

export type ActivityProxies = ReturnType<typeof createActivityProxies>;
