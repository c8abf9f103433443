import { eq } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { subscriptionEvents, subscriptions, type NewSubscriptionRow, type SubscriptionRow } from '../schema/index.js';

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
 * Sets the status (and schedule position) and appends a history event when the status or
 * its reason changed. Safe to run twice: the second run finds nothing changed.
 */
export async function recordSubscriptionStatus(
  db: DatabaseOrTransaction,
  change: { subscriptionId: string; status: string; reasonCode: string | null; cycle: number; nextBillingAt: Date | null; detail?: Record<string, unknown>; ended: boolean; at: Date },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [current] = await tx.select().from(subscriptions).where(eq(subscriptions.id, change.subscriptionId)).for('update');
    if (!current) throw new Error(`subscription ${change.subscriptionId} is not in the database`);
    const changed = current.status !== change.status || current.statusReason !== change.reasonCode;
    await tx
      .update(subscriptions)
      .set({
        status: change.status,
        statusReason: change.reasonCode,
        currentCycle: change.cycle,
        nextBillingAt: change.nextBillingAt,
        updatedAt: change.at,
        ...(change.ended && !current.endedAt ? { endedAt: change.at } : {}),
      })
      .where(eq(subscriptions.id, change.subscriptionId));
    if (changed) {
      await tx.insert(subscriptionEvents).values({
        subscriptionId: change.subscriptionId,
        fromStatus: current.status,
        toStatus: change.status,
        reasonCode: change.reasonCode,
        cycle: change.cycle,
        detail: change.detail ?? null,
        at: change.at,
      });
    }
  });
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
