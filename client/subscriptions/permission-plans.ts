// The other live subscriptions on a Charge Permission, for the monthly-cap check at start and at
// plan change (amazon-checks.ts): Amazon Pay's cap is per Charge Permission, not per subscription.
import type { IntervalUnit } from '../../billing/types.js';
import { activeSubscriptionsOnPermission } from '../../db/queries/subscriptions.js';
import type { DatabaseOrTransaction } from '../../db/client.js';
import type { OtherPlan } from './amazon-checks.js';

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
