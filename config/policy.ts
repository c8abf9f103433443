import { DEFAULT_CONTINUE_AS_NEW_EVERY_CYCLES, type BillingPolicy } from '../workflows/types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * What a merchant gets unless configured otherwise (after Amazon Pay's "Manage recurring payments"
 * and "Asynchronous processing" docs).
 */
export const DEFAULT_BILLING_POLICY: Readonly<BillingPolicy> = Object.freeze({
  dunningRetryDelaysMs: [1 * DAY, 2 * DAY, 2 * DAY, 2 * DAY], // retries 1, 3, 5 and 7 days after the first decline
  finalAction: 'mark_unpaid',
  paymentMethodGraceMs: 14 * DAY,
  paymentMethodCheckIntervalMs: 1 * DAY,
  usePendingAuthorization: false,
  pendingPollInitialMs: 10 * MINUTE,
  pendingPollMaxMs: 1 * HOUR,
  pendingMaxWaitMs: 24 * HOUR, // Amazon resolves a pending authorization within 24 hours
  chargeRetryWindowMs: 24 * HOUR,
  // Calls other than Create Charge: retried for an hour, then needs_attention and retried at
  // 5 min, 30 min, 2 h, then every 6 h (the workflow's own defaults, workflows/guarded-calls.ts).
  activityRetryWindowMs: 1 * HOUR,
  failedCallRetryDelaysMs: [5 * MINUTE, 30 * MINUTE, 2 * HOUR, 6 * HOUR],
  // A run continues as new every 12 settled cycles (a year of a monthly plan): old runs drain
  // within that, so a patch can be retired on a schedule (workflows/patches.ts).
  continueAsNewEveryCycles: DEFAULT_CONTINUE_AS_NEW_EVERY_CYCLES,
});
