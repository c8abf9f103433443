import { and, desc, eq, ne, sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { charges, refunds, type ChargeRow, type RefundRow } from '../schema/index.js';

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
  row: { subscriptionId: string; chargeId: string; seq: number; idempotencyKey: string; amountMinor: bigint; currency: string; reason: string | null; at: Date },
): Promise<RefundRow> {
  const [stored] = await db
    .insert(refunds)
    .values({ ...row, reason: row.reason, state: 'pending', requestedAt: row.at, updatedAt: row.at })
    .returning();
  if (!stored) throw new Error(`refund ${row.chargeId}#${row.seq} was not stored`);
  return stored;
}

export async function completeRefund(
  db: DatabaseOrTransaction,
  id: bigint,
  outcome: { state: string; refundId: string | null; reasonCode: string | null; at: Date },
): Promise<RefundRow> {
  const [stored] = await db
    .update(refunds)
    .set({ state: outcome.state, refundId: outcome.refundId, reasonCode: outcome.reasonCode, updatedAt: outcome.at })
    .where(eq(refunds.id, id))
    .returning();
  if (!stored) throw new Error(`refund row ${id} vanished`);
  return stored;
}

export async function findChargeByChargeId(db: DatabaseOrTransaction, chargeId: string): Promise<ChargeRow | undefined> {
  const [row] = await db.select().from(charges).where(eq(charges.chargeId, chargeId)).limit(1);
  return row;
}
