// The other live subscriptions on a Charge Permission, for the monthly-cap check at start and at
// plan change (amazon-checks.ts): Amazon Pay's cap is per Charge Permission, not per subscription.
import type { IntervalUnit } from '../../billing/types.js';
import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { activeSubscriptionsOnPermission } from '../../db/queries/subscriptions.js';
import { releasePermissionLease, renewPermissionLease, takePermissionLease } from '../../db/queries/permission-leases.js';
import type { DatabaseOrTransaction } from '../../db/client.js';
import type { BillingClientDeps } from '../deps.js';
import { ConflictError } from '../errors.js';
import type { OtherPlan } from './amazon-checks.js';

/** How long a permission lease lasts when its holder dies before giving it back. */
export const PERMISSION_LEASE_MS = 2 * 60_000;

/**
 * Every subscription on `chargePermissionId` that has not ended and was not stopped "now" (a
 * recorded stop sends no further charge, stop-now.ts), except `exceptSubscriptionId`,
 * with the plan its row holds going forward (amount in minor units, currency, interval, and its
 * end after a number of cycles, which bounds its cycles in a month). The row
 * is what recordPlanChange last wrote: while a plan change's write is failing (the subscription
 * shows needs_attention / CallFailed:recordPlanChange) it holds the plan from before the change.
 */
export async function otherPlansOnPermission(db: DatabaseOrTransaction, chargePermissionId: string, exceptSubscriptionId: string): Promise<OtherPlan[]> {
  const rows = await activeSubscriptionsOnPermission(db, chargePermissionId);
  return rows
    .filter((row) => row.id !== exceptSubscriptionId && row.stopRequestedAt === null)
    .map((row) => ({
      subscriptionId: row.id,
      amountMinor: row.amountMinor.toString(),
      currency: row.currency,
      interval: { unit: row.intervalUnit as IntervalUnit, count: row.intervalCount },
      afterCycles: row.endAfterCycles,
    }));
}

/** How long a start or plan change waits for another one on the same permission before refusing. */
export const PERMISSION_LEASE_WAIT_MS = 15_000;

/**
 * Runs `decide` — a start or plan change that checks its plan against the other plans on
 * `chargePermissionId` (otherPlansOnPermission, the monthly cap) and then writes its own — while
 * no other start or plan change on that permission runs: two of them checking at once could each
 * pass the cap and together exceed it. Waits up to PERMISSION_LEASE_WAIT_MS for one in progress
 * (an import of several subscriptions of one buyer, concurrent API calls), then throws
 * ConflictError (retryable, Retry-After) naming it (`what`: "start of subscription sub-1"), having
 * changed nothing; otherwise returns what `decide` returns or throws. The lease is a row
 * (db/queries/permission-leases.ts), not a lock held in a transaction across the Amazon Pay calls.
 */
export async function withPermissionLease<T>(deps: BillingClientDeps, chargePermissionId: string, what: string, decide: () => Promise<T>): Promise<T> {
  const holder = `${what} (${randomUUID()})`;
  const waitUntil = Date.now() + PERMISSION_LEASE_WAIT_MS;
  for (;;) {
    const now = deps.now();
    const lease = await takePermissionLease(deps.db, { chargePermissionId, holder, now, until: new Date(now.getTime() + PERMISSION_LEASE_MS) });
    if (lease.taken) break;
    if (Date.now() >= waitUntil) {
      const other = lease.holder.replace(/ \([0-9a-f-]{36}\)$/, '');
      throw new ConflictError(
        `Charge Permission ${chargePermissionId} has another change in progress (${other}); nothing changed: retry in a moment`,
        [],
        Math.max(1, Math.min(5, Math.ceil((lease.until.getTime() - now.getTime()) / 1000))),
      );
    }
    await sleep(100 + randomInt(150));
  }
  // Renewed while `decide` runs (a plan change waits for its workflow, however long no worker runs
  // it): the lease lapses only when its holder died, never under a change still in progress.
  const renewal = setInterval(() => {
    void renewPermissionLease(deps.db, chargePermissionId, holder, new Date(deps.now().getTime() + PERMISSION_LEASE_MS)).catch(() => {});
  }, PERMISSION_LEASE_MS / 4);
  renewal.unref();
  try {
    return await decide();
  } finally {
    clearInterval(renewal);
    await releasePermissionLease(deps.db, chargePermissionId, holder);
  }
}
