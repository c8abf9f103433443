import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AmazonPayClient } from '../amazonpay/client.js';
import type { AmazonPayRegion } from '../amazonpay/config.js';
import type { Database } from '../db/client.js';
import { createAmazonActivities } from './amazon.js';
import { createChargeActivities } from './charges.js';
import { createIpnActivities } from './ipn.js';
import type { ActivityMetrics } from './ipn-metrics.js';
import { createScheduleActivities } from './schedule.js';
import { createSubscriptionWriteActivities } from './subscription-writes.js';

export interface ActivityDeps {
  db: Database;
  amazonPay: AmazonPayClient;
  now: () => Date;
  /** Needed by the IPN reaction (signals and cancels subscription workflows); the daemon builds it. */
  temporal?: Client;
  logger?: Logger;
  metrics?: ActivityMetrics;
  /** Amazon Pay region: decides the buyer's payment-method update link in events (default na). */
  region?: AmazonPayRegion;
  /** Waits for a Create Charge slot shared by every replica (activities/call-spacer.ts sharedCallSpacer). */
  spaceCalls?: () => Promise<void>;
  /** The Create Charge rate limit this worker runs under, recorded on each ledger row (activities/charges.ts). */
  createChargePerSecond?: number;
}

/**
 * All activities, closed over dependencies the worker builds once, grouped by the task queue
 * whose worker registers them (daemon/workers.ts). Workflows import this file by type only and
 * reach each group through its own stub (workflows/proxies.ts), so an activity called on a queue
 * that does not run it — a call that would sit unrun until its timeout — does not compile.
 */
export function createActivities(deps: ActivityDeps) {
  const { reactToIpn, settleIpnInbox } = createIpnActivities(deps);
  return {
    /** The workflows' own queue: database writes and schedule math, beside the workflow worker (also its local activities). */
    workflows: { ...createScheduleActivities(deps), ...createSubscriptionWriteActivities(deps), settleIpnInbox },
    /** Create Charge alone, on the queue whose rate the server caps for all replicas (the Create Charge quota). */
    charges: createChargeActivities(deps),
    /** The other Amazon Pay calls, on their own rate-capped queue. */
    amazonReads: { ...createAmazonActivities(deps), reactToIpn },
  };
}

/** The activity groups, one per task queue. */
export type ActivityGroups = ReturnType<typeof createActivities>;
/** A task queue by the role it plays; the names come from temporal.yaml's taskQueues. */
export type TaskQueueRole = keyof ActivityGroups;
/** The name of any activity, whatever its queue (fault injection in tests, metrics). */
export type ActivityName = { [Q in TaskQueueRole]: keyof ActivityGroups[Q] & string }[TaskQueueRole];
