import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { PAID_CHARGE_STATES, REPLACED_BY_PREFIX, SOFT_DECLINE_REASONS, type FinalSubscriptionStatus, type LedgerState } from '../../billing/vocabulary.js';
import { appendEventsFrom, decimalAmountSql } from './event-sql.js';
import type { DatabaseOrTransaction } from '../client.js';
import { charges, checkouts, subscriptions, type ChargeRow, type NewChargeRow } from '../schema/index.js';

export interface ChargeAttemptKey {
  subscriptionId: string;
  cycle: number;
  attempt: number;
}

/** Whether a charge attempt may be sent now (claimChargeSend). */
export type ChargeSendClaim = { claimed: true } | { claimed: false; stopReason: string; stopStatus: FinalSubscriptionStatus };

/**
 * The last step before Create Charge is sent, one statement on every attempt (a first send, a
 * Temporal retry, a retry running while an earlier execution of it still waits): writes the
 * attempt's pending row when there is none and claims the send (`sends_in_flight` + 1, lowered
 * by completeCharge) — unless `honourStop` and the subscription has a recorded stop
 * (recordStopRequested), or a recorded stop at period end (recordPeriodEndStop) whose last
 * billable cycle is before this attempt's cycle, and no request with this key may have been processed by Amazon Pay
 * (none in flight or left in flight by a dead worker, no answer that leaves it open). Then
 * nothing is sent: the still-unsent pending row is removed in the same statement, and the
 * result carries the stop's reason and final status (recordStopRequested). A request that may have been processed is always resent
 * with its key, so that its outcome is learned and recorded (Amazon Pay replays it).
 * `rateLimitPerSecond` (the worker's Create Charge rate limit) is stored on the row the first
 * claim writes; later claims keep it. Throws when the attempt's stored row has a different
 * idempotency key or amount.
 */
export async function claimChargeSend(
  db: DatabaseOrTransaction,
  row: ChargeAttemptKey & { idempotencyKey: string; amountMinor: bigint; currency: string; honourStop: boolean; rateLimitPerSecond?: number | null },
): Promise<ChargeSendClaim> {
  const { subscriptionId, cycle, attempt } = row;
  const [result] = await db.execute<{
    claimed: number;
    stop_reason: string | null;
    stop_status: string | null;
    prior_key: string | null;
    prior_amount: string | null;
    prior_currency: string | null;
  }>(sql`
    with subscription as (
      -- Locked so a stop being written now is waited for and seen (a locking read returns the
      -- row's latest committed version): a claim that commits after a stop always honours it.
      select ${subscriptions.stopRequestedAt} as stop_at, ${subscriptions.stopRequestedReason} as reason,
        ${subscriptions.stopRequestedStatus} as status, ${subscriptions.periodEndStopRequestedAt} as period_end_at,
        ${subscriptions.periodEndStopReason} as period_end_reason, ${subscriptions.periodEndStopAfterCycle} as period_end_after
      from ${subscriptions}
      where ${subscriptions.id} = ${subscriptionId} for share
    ), stop as (
      -- The first that applies, in this order: a stop "now"; a stop at period end whose last
      -- billable cycle is before this one (always canceled); a replacement by a checkout whose
      -- subscription has started (client/checkout/replace.ts) — a stop too, even before complete
      -- records it: a complete that died between starting the new subscription and stopping this
      -- one must not let both bill the same date.
      select reason, status from (
        select 1 as rank, reason, status from subscription where stop_at is not null
        union all
        select 2, period_end_reason, 'canceled' from subscription
        where stop_at is null and period_end_at is not null and ${cycle}::int > coalesce(period_end_after, -1)
        union all
        select 3, ${REPLACED_BY_PREFIX}::text || ${checkouts.subscriptionId}, 'canceled' from ${checkouts}
        join ${subscriptions} on ${subscriptions.id} = ${checkouts.subscriptionId}
        where ${checkouts.replacesSubscriptionId} = ${subscriptionId} and ${checkouts.checkoutSessionId} is not null
      ) stops order by rank limit 1
    ), prior as (
      select * from ${charges} where ${attemptWhere(row)}
    ), may_send as (
      select (not ${row.honourStop} or not exists (select 1 from stop)
        or exists (select 1 from prior where prior.sends_in_flight > 0 or prior.possibly_processed)) as ok
    ), claimed as (
      insert into ${charges} (subscription_id, cycle, attempt, idempotency_key, amount_minor, currency, state, sends_in_flight, possibly_processed, rate_limit_per_second)
      select ${subscriptionId}, ${cycle}, ${attempt}, ${row.idempotencyKey}, ${row.amountMinor.toString()}::bigint, ${row.currency}, 'pending', 1, false,
        ${row.rateLimitPerSecond ?? null}::double precision
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
      (select status from stop) as stop_status,
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
  if (result?.stop_reason != null && row.honourStop) {
    return { claimed: false, stopReason: result.stop_reason, stopStatus: result.stop_status === 'ended' ? 'ended' : 'canceled' };
  }
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
 * When the answer moves the row to a new state, the same statement appends its event
 * (chargeEventsSql): charge.succeeded, charge.pending or charge.failed. `periodEnd` is the next
 * cycle's billing date when the caller knows it (charge.succeeded's period.end), else null.
 */
export async function completeCharge(
  db: DatabaseOrTransaction,
  key: ChargeAttemptKey,
  outcome: LedgerCompletion,
  context: { periodEnd?: Date | null } = {},
): Promise<void> {
  const { mayHaveBeenProcessed, ...answer } = outcome;
  // An answer without a ChargeId (a 429 or 5xx on a resend, a late answer of an execution that
  // outlived its timeout) never overwrites a row that already records the Charge Amazon made.
  const keep = answer.chargeId === null ? sql`charges.charge_id is not null` : sql`false`;
  const column = (name: string, value: SQL) => sql`case when ${keep} then charges.${sql.identifier(name)} else ${value} end`;
  const completedAt = answer.completedAt.toISOString();
  const [result] = await db.execute<{ updated: number }>(sql`
    with ${lockSubscriptionThenAttempt(key)}, updated as (
      update charges set
        state = ${column('state', sql`${answer.state}::text`)},
        outcome = ${column('outcome', sql`${answer.outcome}::text`)},
        charge_id = ${column('charge_id', sql`${answer.chargeId}::text`)},
        reason_code = ${column('reason_code', sql`${answer.reasonCode}::text`)},
        amazon_request_id = ${column('amazon_request_id', sql`${answer.amazonRequestId}::text`)},
        completed_at = ${column('completed_at', sql`${completedAt}::timestamptz`)},
        sends_in_flight = greatest(charges.sends_in_flight - 1, 0),
        possibly_processed = charges.possibly_processed or ${mayHaveBeenProcessed}
      from prior where charges.id = prior.id
      returning charges.*, prior.state as prior_state
    ), ${chargeEventsSql('updated', context.periodEnd ?? null)},
    ${appendEventsFrom('charge_events', answer.completedAt)}
    select (select count(*) from updated)::int as updated`);
  // Every completion follows a claim, and a claimed row is never removed: a missing row is a bug.
  if ((result?.updated ?? 0) === 0)
    throw new Error(`charge attempt ${key.subscriptionId}/${key.cycle}/${key.attempt} has no ledger row to record its answer on`);
}

/**
 * The final state of a pending (AuthorizationInitiated) charge, from a CHARGE IPN or polling,
 * written on its attempt's row with its event (charge.succeeded or charge.failed) in the same
 * statement. A row already in that state (a retried write) changes nothing and reports nothing.
 */
export async function resolvePendingCharge(
  db: DatabaseOrTransaction,
  key: ChargeAttemptKey & { chargeId: string },
  update: { state: string; reasonCode: string | null; at: Date },
): Promise<void> {
  await db.execute(sql`
    with ${lockSubscriptionThenAttempt(key, sql`charges.charge_id = ${key.chargeId}`)}, updated as (
      update charges set state = ${update.state}, reason_code = ${update.reasonCode}, completed_at = ${update.at.toISOString()}::timestamptz
      from prior where charges.id = prior.id
      returning charges.*, prior.state as prior_state
    ), ${chargeEventsSql('updated', null)},
    ${appendEventsFrom('charge_events', update.at)}
    select 1`);
}

/**
 * CTEs `subscription_lock` and `prior` (the attempt's row: id, state): the subscription's row is
 * locked before the attempt's, the order claimChargeSend takes them in (subscription FOR SHARE,
 * then the attempt), so a completion and an overlapping claim of the same attempt queue instead
 * of deadlocking. The subscription's lock is needed anyway: the event's sequence is bumped on it.
 */
function lockSubscriptionThenAttempt(key: ChargeAttemptKey, also: SQL = sql`true`): SQL {
  return sql`subscription_lock as (
      select id from subscriptions where id = ${key.subscriptionId} for no key update
    ), prior as (
      select charges.id, charges.state from charges join subscription_lock on subscription_lock.id = charges.subscription_id
      where ${attemptWhere(key)} and ${also} for update of charges
    )`;
}

/** SQL for an ISO-8601 UTC instant with milliseconds ("2026-01-31T09:00:00.000Z"), as JavaScript writes it; null stays null. */
export function isoInstantSql(value: SQL): SQL {
  return sql`to_char(${value} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

const PAID = sql.raw(`(${PAID_CHARGE_STATES.map((s) => `'${s}'`).join(', ')})`);
const FAILED = sql.raw(`('Refused', 'failed', 'Declined', 'Canceled')`);
const SOFT = sql.raw(`(${SOFT_DECLINE_REASONS.map((s) => `'${s}'`).join(', ')})`);

/**
 * A CTE `charge_events` (subscription_id, type, data) over the ledger rows of CTE `rows` (charges
 * columns plus prior_state): the event of a row whose state changed — charge.succeeded on
 * reaching a paid state (Authorized, Captured, CaptureInitiated) from an unpaid one,
 * charge.pending on AuthorizationInitiated, charge.failed on Refused, failed, Declined or
 * Canceled; none otherwise (still pending, a retried write). Data: api/schemas/events.ts.
 * A decline is soft when Amazon Pay's reason is one a later attempt may pass
 * (SOFT_DECLINE_REASONS, a Canceled authorization), hard when it is any other decline.
 */
function chargeEventsSql(rows: string, periodEnd: Date | null): SQL {
  const r = sql.identifier(rows);
  return sql`charge_events as (
      select t.subscription_id, t.type,
        jsonb_build_object('charge_id', t.charge_id, 'cycle', t.cycle, 'attempt', t.attempt, 'state', t.state,
          'amount', ${decimalAmountSql(sql`t.amount_minor`, sql`t.currency`)}, 'currency', t.currency)
        || case t.type
          when 'charge.succeeded' then jsonb_build_object('period', jsonb_build_object(
            'start', ${isoInstantSql(sql`case when s.current_cycle = t.cycle then s.next_billing_at end`)},
            'end', ${isoInstantSql(sql`${periodEnd?.toISOString() ?? null}::timestamptz`)}))
          when 'charge.failed' then jsonb_build_object('reason_code', t.reason_code, 'outcome', t.outcome,
            'decline', case
              when t.outcome = 'soft_decline' or t.state = 'Canceled' or (t.state = 'Declined' and t.reason_code in ${SOFT}) then 'soft'
              when t.outcome = 'hard_decline' or t.state = 'Declined' then 'hard' end)
          else '{}'::jsonb end as data
      from (
        select ${r}.*, case
          when ${r}.state is not distinct from ${r}.prior_state then null
          when ${r}.state in ${PAID} then case when ${r}.prior_state in ${PAID} then null else 'charge.succeeded' end
          when ${r}.state = 'AuthorizationInitiated' then 'charge.pending'
          when ${r}.state in ${FAILED} then 'charge.failed'
        end as type
        from ${r}
      ) t join subscriptions s on s.id = t.subscription_id
    )`;
}

/**
 * The ledger row for cycle 0 when the first payment was made at checkout (attempt 0, outcome
 * `checkout`), in the Charge's state as Amazon Pay's Get Charge gave it — Captured,
 * CaptureInitiated, Authorized (captured afterwards), AuthorizationInitiated (pending), Declined or
 * Canceled —, with its event in the same statement (charge.succeeded for a paid state,
 * charge.pending, charge.failed). `state` defaults to Captured, what callers before this
 * distinction recorded. A row already there is kept (a retried write); its later states are
 * written by resolvePendingCharge.
 */
export async function insertCheckoutCharge(
  db: DatabaseOrTransaction,
  row: { subscriptionId: string; chargeId: string; amountMinor: bigint; currency: string; at: Date; state?: string; reasonCode?: string | null },
): Promise<ChargeRow> {
  const at = row.at.toISOString();
  await db.execute(sql`
    with inserted as (
      insert into charges (subscription_id, cycle, attempt, idempotency_key, amount_minor, currency, charge_id, state, outcome, reason_code, requested_at, completed_at)
      values (${row.subscriptionId}, 0, 0, ${`checkout:${row.chargeId}`}, ${row.amountMinor.toString()}::bigint, ${row.currency}, ${row.chargeId},
        ${row.state ?? 'Captured'}, 'checkout', ${row.reasonCode ?? null}::text, ${at}::timestamptz, ${at}::timestamptz)
      on conflict (subscription_id, cycle, attempt) do nothing
      returning *, null::text as prior_state
    ), ${chargeEventsSql('inserted', null)},
    ${appendEventsFrom('charge_events', row.at)}
    select 1`);
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

/**
 * Ledger rows a database restore lost, rebuilt from the workflow's Temporal history
 * (client/subscriptions/ledger-from-history.ts): each inserted only when the ledger has no row
 * that conflicts with it on any of its unique keys — (subscription, cycle, attempt), the
 * idempotency key, the ChargeId, one success per cycle —, so a row that exists is never changed
 * or duplicated. No outbox event is appended: the events of those charges were emitted before
 * (or lost with) the restore and are not sent again. Returns the rows inserted.
 */
export async function insertLedgerRowsIfAbsent(db: DatabaseOrTransaction, rows: NewChargeRow[]): Promise<ChargeRow[]> {
  if (rows.length === 0) return [];
  return db.insert(charges).values(rows).onConflictDoNothing().returning();
}

/**
 * Ledger rows left `pending` without a ChargeId — a backup taken while their charge was in
 * flight — completed with the outcome the workflow's history shows (client/subscriptions/
 * ledger-from-history.ts): state, ChargeId, reason, outcome class, Amazon request id, whether it
 * may have been processed and completion time, only where the row is
 * still pending without a ChargeId and has the same idempotency key. Returns the rows changed.
 */
export async function completePendingRowsFromHistory(db: DatabaseOrTransaction, rows: NewChargeRow[]): Promise<ChargeRow[]> {
  const changed: ChargeRow[] = [];
  for (const row of rows) {
    const [updated] = await db
      .update(charges)
      .set({
        state: row.state,
        chargeId: row.chargeId ?? null,
        reasonCode: row.reasonCode ?? null,
        outcome: row.outcome ?? null,
        amazonRequestId: row.amazonRequestId ?? null,
        possiblyProcessed: row.possiblyProcessed ?? true,
        completedAt: row.completedAt ?? null,
        sendsInFlight: 0,
      })
      .where(
        and(
          eq(charges.subscriptionId, row.subscriptionId),
          eq(charges.cycle, row.cycle),
          eq(charges.attempt, row.attempt),
          eq(charges.idempotencyKey, row.idempotencyKey),
          eq(charges.state, 'pending'),
          isNull(charges.chargeId),
        ),
      )
      .returning();
    if (updated) changed.push(updated);
  }
  return changed;
}
