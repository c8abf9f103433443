import { and, eq, inArray, lt, notInArray, sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { charges, subscriptionEvents, subscriptions, type NewSubscriptionRow, type SubscriptionRow } from '../schema/index.js';
import { FINAL_SUBSCRIPTION_STATUSES } from '../../billing/vocabulary.js';

/** Inserts the row unless it exists; returns what is stored (the caller compares for conflicts). */
export async function insertSubscription(db: DatabaseOrTransaction, row: NewSubscriptionRow): Promise<{ row: SubscriptionRow; created: boolean }> {
  const inserted = await db.insert(subscriptions).values(row).onConflictDoNothing({ target: subscriptions.id }).returning();
  if (inserted[0]) {
    await db.insert(subscriptionEvents).values({ subscriptionId: row.id, fromStatus: null, toStatus: row.status, reasonCode: 'Created', cycle: 0 });
    return { row: inserted[0], created: true };
  }
  const [existing] = await db.select().from(subscriptions).where(eq(subscriptions.id, row.id));
  if (!existing) throw new Error(`subscription ${row.id} vanished after a conflicting insert`);
  return { row: existing, created: false };
}

export async function getSubscription(db: DatabaseOrTransaction, id: string): Promise<SubscriptionRow | undefined> {
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
  return row;
}

/**
 * Records that a stop "now" was asked for; the first request's time and reason stay (a second
 * stop of the same subscription changes nothing). See client/subscriptions/stop-now.ts.
 */
export async function recordStopRequested(db: DatabaseOrTransaction, subscriptionId: string, reason: string, at: Date): Promise<void> {
  await db
    .update(subscriptions)
    .set({ stopRequestedAt: at, stopRequestedReason: reason })
    .where(and(eq(subscriptions.id, subscriptionId), sql`${subscriptions.stopRequestedAt} is null`));
}

/** The recorded stop request of a subscription, or null when none was asked for. */
export async function stopRequestOf(db: DatabaseOrTransaction, subscriptionId: string): Promise<{ at: Date; reason: string } | null> {
  const [row] = await db
    .select({ at: subscriptions.stopRequestedAt, reason: subscriptions.stopRequestedReason })
    .from(subscriptions)
    .where(eq(subscriptions.id, subscriptionId));
  return row?.at ? { at: row.at, reason: row.reason ?? 'StopRequested' } : null;
}

/**
 * Sets the status (and schedule position) and appends a history event when the status or
 * its reason changed. Safe to run twice: the second run finds nothing changed.
 *
 * One statement, not a transaction of four: every billing cycle runs it, and the round trips
 * were most of its cost. The row is locked by the first CTE; all parts see the row as it was
 * before the update (one snapshot), which is what the "changed" test needs.
 *
 * A row in a final status (canceled, ended) is left as it is: a late write — a charge activity
 * that outlived its timeout writing its paid cycle's `active` after the run ended — must not
 * bring a stopped subscription back.
 */
const finalStatuses = sql`(${sql.join(
  FINAL_SUBSCRIPTION_STATUSES.map((status) => sql`${status}`),
  sql`, `,
)})`;

export async function recordSubscriptionStatus(
  db: DatabaseOrTransaction,
  change: {
    subscriptionId: string;
    status: string;
    reasonCode: string | null;
    cycle: number;
    nextBillingAt: Date | null;
    detail?: Record<string, unknown>;
    ended: boolean;
    at: Date;
  },
): Promise<void> {
  const at = change.at.toISOString();
  const next = change.nextBillingAt ? change.nextBillingAt.toISOString() : null;
  const detail = change.detail === undefined ? null : JSON.stringify(change.detail);
  const rows = await db.execute<{ found: number }>(sql`
    with current as (
      select ${subscriptions.id} as id, ${subscriptions.status} as status, ${subscriptions.statusReason} as status_reason
      from ${subscriptions} where ${subscriptions.id} = ${change.subscriptionId} for update
    ), updated as (
      update ${subscriptions} set
        status = ${change.status},
        status_reason = ${change.reasonCode},
        current_cycle = ${change.cycle},
        next_billing_at = ${next}::timestamptz,
        updated_at = ${at}::timestamptz,
        ended_at = case when ${change.ended} and ${subscriptions.endedAt} is null then ${at}::timestamptz else ${subscriptions.endedAt} end
      from current where ${subscriptions.id} = current.id and current.status not in ${finalStatuses}
      returning 1
    ), event as (
      insert into ${subscriptionEvents} (subscription_id, from_status, to_status, reason_code, cycle, detail, at)
      select current.id, current.status, ${change.status}, ${change.reasonCode}, ${change.cycle}, ${detail}::jsonb, ${at}::timestamptz
      from current
      where current.status not in ${finalStatuses}
        and (current.status is distinct from ${change.status} or current.status_reason is distinct from ${change.reasonCode})
      returning 1
    )
    select (select count(*) from current)::int as found`);
  if ((rows[0]?.found ?? 0) === 0) throw new Error(`subscription ${change.subscriptionId} is not in the database`);
}

export async function recordSubscriptionEvent(
  db: DatabaseOrTransaction,
  event: { subscriptionId: string; kind: string; cycle: number; detail: Record<string, unknown>; at: Date },
): Promise<void> {
  const [current] = await db.select({ status: subscriptions.status }).from(subscriptions).where(eq(subscriptions.id, event.subscriptionId));
  await db.insert(subscriptionEvents).values({
    subscriptionId: event.subscriptionId,
    fromStatus: current?.status ?? null,
    toStatus: current?.status ?? 'unknown',
    reasonCode: event.kind,
    cycle: event.cycle,
    detail: event.detail,
    at: event.at,
  });
}

export async function listSubscriptionEvents(db: DatabaseOrTransaction, subscriptionId: string) {
  return db.select().from(subscriptionEvents).where(eq(subscriptionEvents.subscriptionId, subscriptionId)).orderBy(subscriptionEvents.id);
}

/**
 * A plan change from `fromCycle` on: the row shows the plan going forward (list and export
 * read it), and the history keeps the change with the cycle it starts at.
 */
export async function recordPlanChange(
  db: DatabaseOrTransaction,
  change: { subscriptionId: string; fromCycle: number; amountMinor?: string; interval?: { unit: string; count: number }; at: Date },
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(subscriptions)
      .set({
        ...(change.amountMinor ? { amountMinor: BigInt(change.amountMinor) } : {}),
        ...(change.interval ? { intervalUnit: change.interval.unit, intervalCount: change.interval.count } : {}),
        updatedAt: change.at,
      })
      .where(eq(subscriptions.id, change.subscriptionId));
    await recordSubscriptionEvent(tx, {
      subscriptionId: change.subscriptionId,
      kind: 'plan_changed',
      cycle: change.fromCycle,
      detail: { ...(change.amountMinor ? { amountMinor: change.amountMinor } : {}), ...(change.interval ? { interval: change.interval } : {}) },
      at: change.at,
    });
  });
}

const FINAL = [...FINAL_SUBSCRIPTION_STATUSES];

/** Subscriptions still billing (or waiting) on a Charge Permission: the ones an IPN concerns. */
export async function activeSubscriptionsOnPermission(db: DatabaseOrTransaction, chargePermissionId: string): Promise<SubscriptionRow[]> {
  return db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.chargePermissionId, chargePermissionId), notInArray(subscriptions.status, FINAL)));
}

export async function subscriptionOfCharge(
  db: DatabaseOrTransaction,
  chargeId: string,
): Promise<{ subscriptionId: string; workflowId: string; ledgerState: string } | undefined> {
  const [row] = await db
    .select({ subscriptionId: subscriptions.id, workflowId: subscriptions.workflowId, ledgerState: charges.state })
    .from(charges)
    .innerJoin(subscriptions, eq(subscriptions.id, charges.subscriptionId))
    .where(eq(charges.chargeId, chargeId))
    .limit(1);
  return row;
}

/** Non-final subscriptions created before the cutoff (younger ones may still be starting their workflow). */
export async function nonFinalSubscriptions(db: DatabaseOrTransaction, createdBefore: Date): Promise<SubscriptionRow[]> {
  return db
    .select()
    .from(subscriptions)
    .where(and(notInArray(subscriptions.status, FINAL), lt(subscriptions.createdAt, createdBefore)));
}

export async function subscriptionWorkflowIds(db: DatabaseOrTransaction, workflowIds: string[]): Promise<Set<string>> {
  if (workflowIds.length === 0) return new Set();
  const rows = await db.select({ workflowId: subscriptions.workflowId }).from(subscriptions).where(inArray(subscriptions.workflowId, workflowIds));
  return new Set(rows.map((r) => r.workflowId));
}
