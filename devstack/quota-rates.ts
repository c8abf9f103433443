// The dev stack's Temporal rate caps follow the quota table of the Amazon Pay it runs against.
// temporal.yaml ships Amazon's live restore rates (Create Charge 4/s); the simulator, like Amazon
// Pay's sandbox, allows 1/s (burst 2). Run at 4/s, the demo throttled itself (29 of 68 charges
// got a 429), which is not what the dev stack is for: showing the daemon staying under its quota.
import type { TemporalConfig } from '../config/temporal.js';
import type { BucketSpec, OperationName } from '../simulator/throttle.js';

type RateLimits = TemporalConfig['rateLimits'];

/** Amazon Pay operations the `billing-amazon-reads` task queue's activities call (daemon/workers.ts). */
export const AMAZON_READS_QUEUE_OPERATIONS: readonly OperationName[] = ['getChargePermission', 'getCharge', 'closeChargePermission', 'getRefund'];

/**
 * `configured` lowered to `quotas` (operation → bucket, e.g. THROTTLE_TABLES.sandbox): Create
 * Charge to its restore rate, the reads queue to the lowest restore rate among the operations it
 * calls. A lower configured rate is kept. Rates in calls per second.
 */
export function rateLimitsWithinQuota(configured: RateLimits, quotas: Readonly<Record<OperationName, BucketSpec>>): RateLimits {
  const readsQuota = Math.min(...AMAZON_READS_QUEUE_OPERATIONS.map((operation) => quotas[operation].ratePerSecond));
  return {
    createChargePerSecond: Math.min(configured.createChargePerSecond, quotas.createCharge.ratePerSecond),
    amazonReadsPerSecond: Math.min(configured.amazonReadsPerSecond, readsQuota),
  };
}
