import { and, eq, sql } from 'drizzle-orm';
import type { LedgerState } from '../../billing/vocabulary.js';
import type { DatabaseOrTransaction } from '../client.js';
import { charges, subscriptions, type ChargeRow } from '../schema/index.js';

export interface ChargeAttemptKey {
  subscriptionId: string;
  cycle: number;
  attempt: number;
}

/** Whether a charge attempt may be sent now (claimChargeSend). */
export type ChargeSendClaim = { claimed: true } | { claimed: false; stopReason: string };

/**
 * The last step before Create Charge is sent, one statement on every attempt (a first send, a
 * Temporal retry, a retry running while an earlier execution of it still waits): writes the
 * attempt's pending row when there is none and claims the send (`sends_in_flight` + 1, lowered
 * by completeCharge) — unless `honourStop` and the subscription has a recorded stop
 * (recordStopRequested) and no request with this key may have been processed by Amazon Pay
 * (none in flight or left in flight by a dead worker, no answer that leaves it open). Then
 * nothing is sent: the still-unsent pending row is removed in the same statement, and the
 * result carries the stop's reason. A request that may have been processed is always resent
 * with its key, so that its outcome is learned and recorded (Amazon Pay replays it).
 * Throws when the attempt's stored row has a different idempotency key or amount.
 */
export async function claimChargeSend(
  db: DatabaseOrTransaction,
  row: ChargeAttemptKey & { idempotencyKey: string; amountMinor: bigint; currency: string; honourStop: boolean },
): Promise<ChargeSendClaim> {
  const { subscriptionId, cycle, attempt } = row;
  const [result] = await db.execute<{
    claimed: number;
    stop_reason: string | null;
    prior_key: string | null;
    prior_amount: string | null;
    prior_currency: string | null;
  }>(sql`
    with subscription as (
      -- Locked so a stop being written now is waited for and seen (a locking read returns the
      -- row's latest committed version): a claim that commits after a stop always honours it.
      select ${subscriptions.stopRequestedAt} as stop_at, ${subscriptions.stopRequestedReason} as reason from ${subscriptions}
      where ${subscriptions.id} = ${subscriptionId} for share
    ), stop as (
      select reason from subscription where stop_at is not null
    ), prior as (
      select * from ${charges} where ${attemptWhere(row)}
    ), may_send as (
      select (not ${row.honourStop} or not exists (select 1 from stop)
        or exists (select 1 from prior where prior.sends_in_flight > 0 or prior.possibly_processed)) as ok
    ), claimed as (
      insert into ${charges} (subscription_id, cycle, attempt, idempotency_key, amount_minor, currency, state, sends_in_flight, possibly_processed)
      select ${subscriptionId}, ${cycle}, ${attempt}, ${row.idempotencyKey}, ${row.amountMinor.toString()}::bigint, ${row.currency}, 'pending', 1, false
      from may_send where ok
      on conflict (subscription_id, cycle, attempt) do update set sends_in_flight = ${charges}.sends_in_flight + 1
      where ${charges}.idempotency_key = excluded.idempotency_key and ${charges}.amount_minor = excluded.amount_minor and ${charges}.currency = excluded.currency
      returning 1
    ), removed as (
      delete from ${charges}
      where ${attemptWhere(row)} and ${charges.state} = 'pending' and ${charges.sendsInFlight} = 0 and not ${charges.possiblyProcessed}
        and ${charges.idempotencyKey} = ${row.idempotencyKey} and exists (select 1 from may_send where not ok)
      returning 1
    )
    select (select count(*) from claimed)::int as claimed,
      (select coalesce(reason, 'StopRequested') from stop) as stop_reason,
      prior.idempotency_key as prior_key, prior.amount_minor::text as prior_amount, prior.currency as prior_currency
    from (select 1) as one left join prior on true`);
  const label = `charge attempt ${subscriptionId}/${cycle}/${attempt}`;
  if (
    result?.prior_key != null &&
    (result.prior_key !== row.idempotencyKey || result.prior_amount !== row.amountMinor.toString() || result.prior_currency !== row.currency)
  ) {
    throw new Error(`${label} was recorded with a different key or amount`);
  }
  if ((result?.claimed ?? 0) > 0) return { claimed: true };
  // Not claimed with a matching row: a stop, or a row of another key written concurrently.
  if (result?.stop_reason != null && row.honourStop) return { claimed: false, stopReason: result.stop_reason };
  throw new Error(`${label} was recorded with a different key or amount`);
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
  /** Whether Amazon Pay may have processed the request (amazonpay/outcomes.ts mayHaveBeenProcessed). */
  mayHaveBeenProcessed: boolean;
}

/**
 * Records one answer on the attempt's row, in the one write: its outcome, one send fewer in
 * flight (claimChargeSend), and "possibly processed" once any answer left that open (never
 * cleared again: a later 429 does not undo an earlier request that may have been processed).
 */
export async function completeCharge(db: DatabaseOrTransaction, key: ChargeAttemptKey, outcome: LedgerCompletion): Promise<void> {
  const { mayHaveBeenProcessed, ...answer } = outcome;
  // An answer without a ChargeId (a 429 or 5xx on a resend, a late answer of an execution that
  // outlived its timeout) never overwrites a row that already records the Charge Amazon made.
  const keep = answer.chargeId === null ? sql`${charges.chargeId} is not null` : sql`false`;
  const column = (name: keyof typeof answer, value: unknown) => sql`case when ${keep} then ${charges[name]} else ${value} end`;
  const updated = await db
    .update(charges)
    .set({
      state: column('state', answer.state),
      outcome: column('outcome', answer.outcome),
      chargeId: column('chargeId', answer.chargeId),
      reasonCode: column('reasonCode', answer.reasonCode),
      amazonRequestId: column('amazonRequestId', answer.amazonRequestId),
      completedAt: column('completedAt', sql`${answer.completedAt.toISOString()}::timestamptz`),
      sendsInFlight: sql`greatest(${charges.sendsInFlight} - 1, 0)`,
      possiblyProcessed: sql`${charges.possiblyProcessed} or ${mayHaveBeenProcessed}`,
    })
    .where(attemptWhere(key))
    .returning({ id: charges.id });
  // Every completion follows a claim, and a claimed row is never removed: a missing row is a bug.
  if (updated.length === 0) throw new Error(`charge attempt ${key.subscriptionId}/${key.cycle}/${key.attempt} has no ledger row to record its answer on`);
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
  const [stored] = await db
    .select()
    .from(charges)
    .where(attemptWhere({ subscriptionId: row.subscriptionId, cycle: 0, attempt: 0 }));
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
