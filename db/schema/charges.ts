import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, char, check, doublePrecision, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { LEDGER_ONLY_STATES } from '../../billing/vocabulary.js';
import { subscriptions } from './subscriptions.js';

/**
 * The charge ledger: one row per charge attempt (subscription, cycle, attempt), written
 * before Create Charge is called and completed with its outcome.
 */
export const charges = pgTable(
  'charges',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id),
    cycle: integer('cycle').notNull(),
    attempt: integer('attempt').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    /** Amazon Pay's ChargeId; null until a Charge exists. */
    chargeId: text('charge_id'),
    /**
     * billing/vocabulary.ts: with no Charge, a ledger-only state — pending | Refused (Create Charge
     * answered with a decline or another business error) | failed (an invalid request) —; with a
     * ChargeId, the Charge's state as Amazon Pay gave it: AuthorizationInitiated | Authorized |
     * CaptureInitiated | Captured | Declined (a pending authorization or late capture declined) |
     * Canceled, or a state Amazon adds later.
     */
    state: text('state').notNull(),
    /** Outcome class from amazonpay/outcomes.ts (ok, soft_decline, …). */
    outcome: text('outcome'),
    reasonCode: text('reason_code'),
    amazonRequestId: text('amazon_request_id'),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /**
     * Create Charge requests with this key sent and not yet answered: raised just before a send,
     * lowered when its answer is recorded. A worker that dies mid-send leaves it raised, which
     * reads as "may have been processed" (activities/charges.ts).
     */
    sendsInFlight: integer('sends_in_flight').notNull().default(0),
    /**
     * Whether any answer to a request with this key left open that Amazon Pay processed it
     * (amazonpay/outcomes.ts mayHaveBeenProcessed): false while every answer was a 429 or a fault
     * known to precede processing. The default is true (unknown): rows from before migration
     * 0010, and rows a worker from before it inserts during a rolling deploy, may have been sent;
     * the send claim (db/queries/charges.ts claimChargeSend) writes false explicitly.
     */
    possiblyProcessed: boolean('possibly_processed').notNull().default(true),
    /**
     * The deployment's Create Charge rate limit (calls/s, temporal.yaml
     * rateLimits.createChargePerSecond as the worker ran it) when the send was first claimed: what
     * tells a peak the quota held back from one the daemon's own throughput held back
     * (client/subscriptions/capacity-evidence.ts). Null on rows from before migration 0013 and
     * rows no Create Charge send wrote (a checkout's charge).
     */
    rateLimitPerSecond: doublePrecision('rate_limit_per_second'),
  },
  (table) => [
    uniqueIndex('charges_cycle_attempt_key').on(table.subscriptionId, table.cycle, table.attempt),
    uniqueIndex('charges_idempotency_key_key').on(table.idempotencyKey),
    uniqueIndex('charges_charge_id_key').on(table.chargeId),
    // A cycle can succeed once: a second successful charge for it cannot be recorded silently.
    uniqueIndex('charges_one_success_per_cycle')
      .on(table.subscriptionId, table.cycle)
      .where(sql`${table.state} in ('Authorized', 'Captured', 'CaptureInitiated')`),
    index('charges_subscription_idx').on(table.subscriptionId, table.cycle),
    // The ledger by time: the forecast's capacity evidence and the dashboard's hours read ranges of it.
    index('charges_requested_at_idx').on(table.requestedAt),
    check('charges_attempt_positive', sql`${table.attempt} >= 0`),
    check('charges_sends_in_flight_nonnegative', sql`${table.sendsInFlight} >= 0`),
    // A row without a ChargeId holds one of the ledger's own states, and a row with one holds the
    // Charge's state: a refusal can no longer be recorded as Amazon's Declined (migration 0006).
    check(
      'charges_state_matches_charge_id',
      sql`(${table.chargeId} is null) = (${table.state} in (${sql.raw(LEDGER_ONLY_STATES.map((s) => `'${s}'`).join(', '))}))`,
    ),
  ],
);

export type ChargeRow = typeof charges.$inferSelect;
export type NewChargeRow = typeof charges.$inferInsert;
