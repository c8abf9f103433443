import { and, eq } from 'drizzle-orm';
import type { LedgerState } from '../../billing/vocabulary.js';
import type { DatabaseOrTransaction } from '../client.js';
import { charges, type ChargeRow } from '../schema/index.js';

export interface ChargeAttemptKey {
  subscriptionId: string;
  cycle: number;
  attempt: number;
}

/**
 * Writes the attempt before Amazon Pay is called; a retry of the same attempt finds the row
 * already there. `inserted` is true only for the call that wrote it: no request with this
 * attempt's idempotency key can have been sent before (every send follows this write).
 */
export async function insertPendingCharge(
  db: DatabaseOrTransaction,
  row: ChargeAttemptKey & { idempotencyKey: string; amountMinor: bigint; currency: string },
): Promise<{ row: ChargeRow; inserted: boolean }> {
  const written = await db
    .insert(charges)
    .values({ ...row, state: 'pending' })
    .onConflictDoNothing({ target: [charges.subscriptionId, charges.cycle, charges.attempt] })
    .returning({ id: charges.id });
  const [stored] = await db.select().from(charges).where(attemptWhere(row));
  if (!stored) throw new Error(`charge attempt ${row.subscriptionId}/${row.cycle}/${row.attempt} vanished after insert`);
  if (stored.idempotencyKey !== row.idempotencyKey || stored.amountMinor !== row.amountMinor || stored.currency !== row.currency) {
    throw new Error(`charge attempt ${row.subscriptionId}/${row.cycle}/${row.attempt} was recorded with a different key or amount`);
  }
  return { row: stored, inserted: written.length > 0 };
}

/** Removes an attempt's pending row that was never sent (a stop arrived first); a no-op for any other state. */
export async function deleteUnsentCharge(db: DatabaseOrTransaction, key: ChargeAttemptKey): Promise<void> {
  await db.delete(charges).where(and(attemptWhere(key), eq(charges.state, 'pending')));
}

/**
 * Create Charge's answer for one attempt. `state` is a ledger-only state (billing/vocabulary.ts
 * LEDGER_ONLY_STATES) with chargeId null, or the state Amazon Pay gave the Charge it created
 * (kept verbatim, a state Amazon adds later too) with its ChargeId.
 */
export interface LedgerCompletion {
  state: LedgerState | (string & {});
  outcome: string;
  chargeId: string | null;
  reasonCode: string | null;
  amazonRequestId: string | null;
  completedAt: Date;
}

export async function completeCharge(db: DatabaseOrTransaction, key: ChargeAttemptKey, outcome: LedgerCompletion): Promise<void> {
  await db.update(charges).set(outcome).where(attemptWhere(key));
}

/** The ledger row for cycle 0 when the first payment was captured at checkout. */
export async function insertCheckoutCharge(
  db: DatabaseOrTransaction,
  row: { subscriptionId: string; chargeId: string; amountMinor: bigint; currency: string; at: Date },
): Promise<ChargeRow> {
  await db
    .insert(charges)
    .values({
      subscriptionId: row.subscriptionId,
      cycle: 0,
      attempt: 0,
      idempotencyKey: `checkout:${row.chargeId}`,
      amountMinor: row.amountMinor,
      currency: row.currency,
      chargeId: row.chargeId,
      state: 'Captured',
      outcome: 'checkout',
      requestedAt: row.at,
      completedAt: row.at,
    })
    .onConflictDoNothing({ target: [charges.subscriptionId, charges.cycle, charges.attempt] });
  const [stored] = await db.select().from(charges).where(attemptWhere({ subscriptionId: row.subscriptionId, cycle: 0, attempt: 0 }));
  if (!stored) throw new Error(`checkout charge of ${row.subscriptionId} vanished after insert`);
  return stored;
}

export async function listCharges(db: DatabaseOrTransaction, subscriptionId: string): Promise<ChargeRow[]> {
  return db.select().from(charges).where(eq(charges.subscriptionId, subscriptionId)).orderBy(charges.cycle, charges.attempt);
}

function attemptWhere(key: ChargeAttemptKey) {
  return and(eq(charges.subscriptionId, key.subscriptionId), eq(charges.cycle, key.cycle), eq(charges.attempt, key.attempt));
}

/** The ledger's state for this Amazon Pay ChargeId, or undefined when no ledger row has it. */
export async function ledgerStateOfCharge(db: DatabaseOrTransaction, chargeId: string): Promise<string | undefined> {
  const [row] = await db.select({ state: charges.state }).from(charges).where(eq(charges.chargeId, chargeId)).limit(1);
  return row?.state;
}
