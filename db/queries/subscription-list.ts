import { and, asc, eq, gt, lt, type SQL } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { charges, subscriptions, type ChargeRow, type SubscriptionRow } from '../schema/index.js';

export interface SubscriptionListFilter {
  status?: string;
  chargePermissionId?: string;
  /** Only subscriptions whose next billing date is strictly before this instant. */
  dueBefore?: Date;
  /** Keyset pagination: ids strictly after this one (ids are the sort key). */
  afterId?: string;
  limit: number;
}

/** One page in id order; the caller asks for limit + 1 rows to learn whether another page exists. */
export async function listSubscriptionsPage(db: DatabaseOrTransaction, filter: SubscriptionListFilter): Promise<SubscriptionRow[]> {
  const conditions: SQL[] = [];
  if (filter.status !== undefined) conditions.push(eq(subscriptions.status, filter.status));
  if (filter.chargePermissionId !== undefined) conditions.push(eq(subscriptions.chargePermissionId, filter.chargePermissionId));
  if (filter.dueBefore !== undefined) conditions.push(lt(subscriptions.nextBillingAt, filter.dueBefore));
  if (filter.afterId !== undefined) conditions.push(gt(subscriptions.id, filter.afterId));
  return db
    .select()
    .from(subscriptions)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(asc(subscriptions.id))
    .limit(filter.limit);
}

/** The whole charge ledger in (subscription, cycle, attempt) order, in pages by primary key. */
export async function listLedgerPage(db: DatabaseOrTransaction, afterRowId: bigint | undefined, limit: number): Promise<ChargeRow[]> {
  return db
    .select()
    .from(charges)
    .where(afterRowId === undefined ? undefined : gt(charges.id, afterRowId))
    .orderBy(asc(charges.id))
    .limit(limit);
}
