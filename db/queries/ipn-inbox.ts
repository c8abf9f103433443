// The IPN inbox: one row per delivery, from storing to settling and pruning. Subscriptions an
// IPN concerns are found in subscriptions.ts, Charge Permission checks in permissions.ts.
import { and, asc, count, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { housekeepingRuns, ipnInbox, type IpnInboxRow } from '../schema/index.js';

export type NewInboxRow = Pick<
  IpnInboxRow,
  'messageId' | 'notificationId' | 'snsType' | 'objectType' | 'objectId' | 'chargePermissionId' | 'rawBody' | 'status'
>;

/**
 * Stores one delivery. A redelivery (same MessageId) or the same notification under another
 * MessageId (same NotificationId) collapses onto the row already stored, which is returned.
 * One statement: when it returns, the row is committed.
 */
export async function insertInboxRow(db: DatabaseOrTransaction, row: NewInboxRow): Promise<{ row: IpnInboxRow; duplicate: boolean }> {
  const [inserted] = await db.insert(ipnInbox).values(row).onConflictDoNothing().returning();
  if (inserted) return { row: inserted, duplicate: false };
  const match = row.notificationId
    ? or(eq(ipnInbox.messageId, row.messageId), eq(ipnInbox.notificationId, row.notificationId))
    : eq(ipnInbox.messageId, row.messageId);
  const [existing] = await db.select().from(ipnInbox).where(match).limit(1);
  if (!existing) throw new Error(`inbox row for message ${row.messageId} conflicted but cannot be found`);
  return { row: existing, duplicate: true };
}

/** The dispatcher handed the row to Temporal; never downgrades a row the handler already settled. */
export async function markInboxDispatched(db: DatabaseOrTransaction, id: bigint): Promise<void> {
  await db
    .update(ipnInbox)
    .set({ status: 'dispatched', attempts: sql`${ipnInbox.attempts} + 1`, lastError: null })
    .where(and(eq(ipnInbox.id, id), eq(ipnInbox.status, 'pending')));
}

/** Dispatch failed (Temporal unreachable): the row stays pending for the inboxRetry sweep. */
export async function noteInboxDispatchFailure(db: DatabaseOrTransaction, id: bigint, error: string): Promise<void> {
  await db
    .update(ipnInbox)
    .set({ attempts: sql`${ipnInbox.attempts} + 1`, lastError: error.slice(0, 500) })
    .where(and(eq(ipnInbox.id, id), eq(ipnInbox.status, 'pending')));
}

export async function settleInboxRow(
  db: DatabaseOrTransaction,
  id: bigint,
  status: 'processed' | 'ignored' | 'failed',
  note: string | null,
  at: Date,
): Promise<void> {
  await db
    .update(ipnInbox)
    .set({ status, lastError: note ? note.slice(0, 500) : null, processedAt: at })
    .where(eq(ipnInbox.id, id));
}

export async function listPendingInboxRows(db: DatabaseOrTransaction, limit: number): Promise<IpnInboxRow[]> {
  return db.select().from(ipnInbox).where(eq(ipnInbox.status, 'pending')).orderBy(asc(ipnInbox.receivedAt)).limit(limit);
}

/** Rows handed to Temporal and not settled, received before the cutoff: their handler may have ended without settling them. */
export async function listDispatchedInboxRows(db: DatabaseOrTransaction, receivedBefore: Date, limit: number): Promise<IpnInboxRow[]> {
  return db
    .select()
    .from(ipnInbox)
    .where(and(eq(ipnInbox.status, 'dispatched'), lt(ipnInbox.receivedAt, receivedBefore)))
    .orderBy(asc(ipnInbox.receivedAt))
    .limit(limit);
}

/**
 * Failed rows due for another handler run: fewer than maxAttempts dispatches so far, and
 * settled at least backoffBaseMs·2^(attempts-1) ago (5, 10, 20 … minutes with a 5-minute base).
 */
export async function listRetryableFailedInboxRows(
  db: DatabaseOrTransaction,
  options: { now: Date; maxAttempts: number; backoffBaseMs: number; limit: number },
): Promise<IpnInboxRow[]> {
  const dueBefore = sql`${options.now.toISOString()}::timestamptz - make_interval(secs => ${options.backoffBaseMs / 1000}::double precision * power(2, greatest(${ipnInbox.attempts} - 1, 0)))`;
  return db
    .select()
    .from(ipnInbox)
    .where(
      and(
        eq(ipnInbox.status, 'failed'),
        lt(ipnInbox.attempts, options.maxAttempts),
        sql`${ipnInbox.objectType} is not null and ${ipnInbox.objectId} is not null`,
        sql`coalesce(${ipnInbox.processedAt}, ${ipnInbox.receivedAt}) < ${dueBefore}`,
      ),
    )
    .orderBy(asc(ipnInbox.processedAt))
    .limit(options.limit);
}

/**
 * Claims a dispatched or failed row for one more handler run before it is started: status
 * dispatched, one more attempt. Only if nobody changed the row since it was read (false then).
 */
export async function claimInboxRowForRetry(db: DatabaseOrTransaction, row: Pick<IpnInboxRow, 'id' | 'status' | 'attempts'>): Promise<boolean> {
  const claimed = await db
    .update(ipnInbox)
    .set({ status: 'dispatched', attempts: sql`${ipnInbox.attempts} + 1` })
    .where(and(eq(ipnInbox.id, row.id), eq(ipnInbox.status, row.status), eq(ipnInbox.attempts, row.attempts)))
    .returning({ id: ipnInbox.id });
  return claimed.length === 1;
}

/** The retry could not be started (Temporal unreachable): the row goes back as it was, with the error noted. */
export async function releaseInboxRetryClaim(db: DatabaseOrTransaction, row: Pick<IpnInboxRow, 'id' | 'status' | 'attempts'>, error: string): Promise<void> {
  await db
    .update(ipnInbox)
    .set({ status: row.status, attempts: row.attempts, lastError: error.slice(0, 500) })
    .where(and(eq(ipnInbox.id, row.id), eq(ipnInbox.status, 'dispatched'), eq(ipnInbox.attempts, row.attempts + 1)));
}

export async function getInboxRow(db: DatabaseOrTransaction, id: bigint): Promise<IpnInboxRow | undefined> {
  const [row] = await db.select().from(ipnInbox).where(eq(ipnInbox.id, id));
  return row;
}

export async function listInboxRows(db: DatabaseOrTransaction): Promise<IpnInboxRow[]> {
  return db.select().from(ipnInbox).orderBy(asc(ipnInbox.id));
}

/** Rows not yet settled: pending (not handed to Temporal) and dispatched (handler running). */
export async function inboxBacklog(db: DatabaseOrTransaction): Promise<{ pending: number; dispatched: number }> {
  const rows = await db
    .select({ status: ipnInbox.status, n: count() })
    .from(ipnInbox)
    .where(inArray(ipnInbox.status, ['pending', 'dispatched']))
    .groupBy(ipnInbox.status);
  return { pending: rows.find((r) => r.status === 'pending')?.n ?? 0, dispatched: rows.find((r) => r.status === 'dispatched')?.n ?? 0 };
}

/** Settled rows (processed, ignored) older than the cutoff; failed and unsettled rows stay for operators. */
export async function pruneInbox(db: DatabaseOrTransaction, before: Date): Promise<number> {
  const deleted = await db
    .delete(ipnInbox)
    .where(
      and(
        inArray(ipnInbox.status, ['processed', 'ignored']),
        sql`coalesce(${ipnInbox.processedAt}, ${ipnInbox.receivedAt}) < ${before.toISOString()}::timestamptz`,
      ),
    )
    .returning({ id: ipnInbox.id });
  await db.delete(housekeepingRuns).where(lt(housekeepingRuns.startedAt, before));
  return deleted.length;
}
