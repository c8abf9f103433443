import { and, asc, desc, eq, isNull, lt, ne, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { charges, refunds, subscriptions, unknownRefunds, type ChargeRow, type RefundRow } from '../schema/index.js';
import { FINAL_REFUND_STATES } from '../../billing/vocabulary.js';
import { money, toDecimalString } from '../../billing/money.js';
import { appendEvent } from './events.js';

/** The successful ledger row that carries this Amazon Pay ChargeId, locked against concurrent refunds. */
export async function lockChargeForRefund(tx: DatabaseOrTransaction, chargeId: string): Promise<ChargeRow | undefined> {
  const [row] = await tx.select().from(charges).where(eq(charges.chargeId, chargeId)).for('update');
  return row;
}

export async function listRefundsOfCharge(db: DatabaseOrTransaction, chargeId: string): Promise<RefundRow[]> {
  return db.select().from(refunds).where(eq(refunds.chargeId, chargeId)).orderBy(refunds.seq);
}

export async function listRefundsOfSubscription(db: DatabaseOrTransaction, subscriptionId: string): Promise<RefundRow[]> {
  return db.select().from(refunds).where(eq(refunds.subscriptionId, subscriptionId)).orderBy(refunds.chargeId, refunds.seq);
}

/** Sum of refunds that still count against the charge (everything but Declined and locally failed ones). */
export async function reservedRefundMinor(db: DatabaseOrTransaction, chargeId: string): Promise<bigint> {
  const [row] = await db
    .select({ total: sql<string | null>`sum(${refunds.amountMinor})` })
    .from(refunds)
    .where(and(eq(refunds.chargeId, chargeId), ne(refunds.state, 'Declined'), ne(refunds.state, 'failed')));
  return BigInt(row?.total ?? '0');
}

export async function lastRefundOfCharge(db: DatabaseOrTransaction, chargeId: string): Promise<RefundRow | undefined> {
  const [row] = await db.select().from(refunds).where(eq(refunds.chargeId, chargeId)).orderBy(desc(refunds.seq)).limit(1);
  return row;
}

export async function insertRefund(
  db: DatabaseOrTransaction,
  row: {
    subscriptionId: string;
    chargeId: string;
    seq: number;
    idempotencyKey: string;
    amountMinor: bigint;
    currency: string;
    reason: string | null;
    at: Date;
    sendLeaseUntil: Date;
  },
): Promise<RefundRow> {
  const [stored] = await db
    .insert(refunds)
    .values({ ...row, reason: row.reason, state: 'pending', requestedAt: row.at, updatedAt: row.at })
    .returning();
  if (!stored) throw new Error(`refund ${row.chargeId}#${row.seq} was not stored`);
  return stored;
}

/** A request is about to (re-)send this pending refund: nobody else takes it over until `until` (or endRefundSend). */
export async function leaseRefundSend(db: DatabaseOrTransaction, id: bigint, until: Date): Promise<RefundRow> {
  const [row] = await db.update(refunds).set({ sendLeaseUntil: until }).where(eq(refunds.id, id)).returning();
  if (!row) throw new Error(`refund ${id} vanished while it was leased`);
  return row;
}

/** The send of this refund ended without an answer (timeout, 5xx): its sender is gone, another request may re-send it. */
export async function endRefundSend(db: DatabaseOrTransaction, id: bigint): Promise<void> {
  await db.update(refunds).set({ sendLeaseUntil: null }).where(eq(refunds.id, id));
}

/**
 * Create Refund answered (or refused). Only a pending row is completed: a REFUND IPN may have
 * linked and resolved it in the meantime, and a late or replayed answer must not undo that.
 */
export async function completeRefund(
  db: DatabaseOrTransaction,
  id: bigint,
  outcome: { state: string; refundId: string | null; reasonCode: string | null; at: Date },
): Promise<RefundRow> {
  return withRefundEvent(db, eq(refunds.id, id), outcome.at, async (tx) => {
    const [stored] = await tx
      .update(refunds)
      .set({ state: outcome.state, refundId: outcome.refundId, reasonCode: outcome.reasonCode, updatedAt: outcome.at, sendLeaseUntil: null })
      .where(and(eq(refunds.id, id), eq(refunds.state, 'pending')))
      .returning();
    if (stored) return stored;
    const [current] = await tx.select().from(refunds).where(eq(refunds.id, id));
    if (!current) throw new Error(`refund row ${id} vanished`);
    return current;
  });
}

/**
 * Runs a refund row's write in a transaction that first locks the rows `where` selects, and
 * appends the event of the state it reached (the outbox, docs/events.md): refund.succeeded on
 * reaching Refunded, refund.failed on Declined (Amazon Pay) or failed (refused before Amazon Pay
 * created a refund), nothing when the state did not change (a replayed IPN, a second poll).
 */
async function withRefundEvent<T extends RefundRow | undefined>(
  db: DatabaseOrTransaction,
  where: SQL | undefined,
  at: Date,
  write: (tx: DatabaseOrTransaction) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    const before = await tx.select({ id: refunds.id, state: refunds.state }).from(refunds).where(where).for('update');
    const after = await write(tx);
    if (!after) return after;
    const prior = before.find((row) => row.id === after.id)?.state ?? null;
    const type =
      prior === after.state
        ? null
        : after.state === 'Refunded'
          ? 'refund.succeeded'
          : after.state === 'Declined' || after.state === 'failed'
            ? 'refund.failed'
            : null;
    if (type) await appendEvent(tx, { subscriptionId: after.subscriptionId, type, occurredAt: at, data: refundEventData(after) });
    return after;
  });
}

/** refund.succeeded / refund.failed data (api/schemas/events.ts RefundEventData). */
function refundEventData(row: RefundRow): Record<string, unknown> {
  return {
    refund_id: row.refundId,
    charge_id: row.chargeId,
    refund_number: row.seq,
    amount: toDecimalString(money(row.amountMinor, row.currency)),
    currency: row.currency,
    state: row.state,
    reason_code: row.reasonCode,
    reason: row.reason,
  };
}

export async function findRefundByRefundId(db: DatabaseOrTransaction, refundId: string): Promise<RefundRow | undefined> {
  const [row] = await db.select().from(refunds).where(eq(refunds.refundId, refundId)).limit(1);
  return row;
}

export interface RefundStatusUpdate {
  state: string;
  reasonCode: string | null;
  /** Amazon's lastUpdatedTimestamp when the state is final, else null. */
  resolvedAt: Date | null;
  at: Date;
}

/**
 * What Get Refund said, written to the row with this RefundId. A row already Refunded or
 * Declined keeps its state (a slower reader must not move it back); the check time is always noted.
 */
export async function recordRefundStatus(db: DatabaseOrTransaction, refundId: string, update: RefundStatusUpdate): Promise<RefundRow | undefined> {
  return withRefundEvent(db, eq(refunds.refundId, refundId), update.at, async (tx) => {
    const [changed] = await tx
      .update(refunds)
      .set({ state: update.state, reasonCode: update.reasonCode, resolvedAt: update.resolvedAt, updatedAt: update.at, lastCheckedAt: update.at })
      .where(and(eq(refunds.refundId, refundId), or(notInArray(refunds.state, [...FINAL_REFUND_STATES]), eq(refunds.state, update.state))))
      .returning();
    if (changed) return changed;
    const [kept] = await tx.update(refunds).set({ lastCheckedAt: update.at }).where(eq(refunds.refundId, refundId)).returning();
    return kept;
  });
}

/**
 * A refund whose Create Refund answer never arrived (row pending, no RefundId) learns its
 * RefundId from a REFUND IPN: the pending row of the same charge and amount. At most one
 * refund per charge is pending at a time (client/subscriptions/refund.ts), so the match is unique.
 */
export async function linkPendingRefund(
  db: DatabaseOrTransaction,
  match: { chargeId: string; amountMinor: bigint; currency: string },
  refundId: string,
  update: RefundStatusUpdate,
): Promise<RefundRow | undefined> {
  const pendingOfCharge = and(
    eq(refunds.chargeId, match.chargeId),
    eq(refunds.amountMinor, match.amountMinor),
    eq(refunds.currency, match.currency),
    eq(refunds.state, 'pending'),
    isNull(refunds.refundId),
  );
  return withRefundEvent(db, pendingOfCharge, update.at, async (tx) => {
    const [linked] = await tx
      .update(refunds)
      .set({ refundId, state: update.state, reasonCode: update.reasonCode, resolvedAt: update.resolvedAt, updatedAt: update.at, lastCheckedAt: update.at })
      .where(pendingOfCharge)
      .returning();
    return linked;
  });
}

/** Pending refunds (no RefundId yet) of subscriptions on this Charge Permission: what an unknown REFUND IPN may be about. */
export async function pendingRefundsOnPermission(db: DatabaseOrTransaction, chargePermissionId: string): Promise<RefundRow[]> {
  const rows = await db
    .select({ refund: refunds })
    .from(refunds)
    .innerJoin(subscriptions, eq(subscriptions.id, refunds.subscriptionId))
    .where(and(eq(subscriptions.chargePermissionId, chargePermissionId), eq(refunds.state, 'pending'), isNull(refunds.refundId)));
  return rows.map((r) => r.refund);
}

/**
 * RefundIds still RefundInitiated that were asked for before `initiatedBefore` and not
 * checked since `checkedBefore`: least recently checked (never checked first), oldest first.
 * Refunds Amazon Pay answered ResourceNotFound for are left out.
 */
export async function refundsToPoll(db: DatabaseOrTransaction, options: { initiatedBefore: Date; checkedBefore: Date; limit: number }): Promise<string[]> {
  if (options.limit <= 0) return [];
  const rows = await db
    .select({ refundId: refunds.refundId })
    .from(refunds)
    .where(
      and(
        eq(refunds.state, 'RefundInitiated'),
        lt(refunds.requestedAt, options.initiatedBefore),
        or(isNull(refunds.lastCheckedAt), lt(refunds.lastCheckedAt, options.checkedBefore)),
        // Amazon Pay said it does not know them: asking again changes nothing; an operator looks.
        sql`not exists (select 1 from ${unknownRefunds} u where u.refund_id = ${refunds.refundId} and u.reason = 'not_found')`,
      ),
    )
    .orderBy(sql`${refunds.lastCheckedAt} asc nulls first`, asc(refunds.requestedAt))
    .limit(options.limit);
  return rows.flatMap((r) => (r.refundId === null ? [] : [r.refundId]));
}

/** A REFUND IPN about a refund we cannot place: counted, so a repeat is settled without work. */
export async function recordUnknownRefund(
  db: DatabaseOrTransaction,
  refundId: string,
  chargePermissionId: string | null,
  reason: 'no_refund_row' | 'not_found',
  at: Date,
): Promise<void> {
  await db
    .insert(unknownRefunds)
    .values({ refundId, chargePermissionId, reason, firstSeenAt: at, lastSeenAt: at })
    .onConflictDoUpdate({ target: unknownRefunds.refundId, set: { reason, seenCount: sql`${unknownRefunds.seenCount} + 1`, lastSeenAt: at } });
}

export async function findChargeByChargeId(db: DatabaseOrTransaction, chargeId: string): Promise<ChargeRow | undefined> {
  const [row] = await db.select().from(charges).where(eq(charges.chargeId, chargeId)).limit(1);
  return row;
}
