import { bigint, bigserial, char, check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { subscriptions } from './subscriptions.js';

/**
 * Refunds asked of Amazon Pay, one row per (charge, sequence). The row is written before Create
 * Refund is called, so a retry after a timeout finds it and re-sends the same idempotency key.
 */
export const refunds = pgTable(
  'refunds',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id),
    /** Amazon Pay ChargeId of the refunded charge (a Captured row of the charges ledger). */
    chargeId: text('charge_id').notNull(),
    /** 1-based refund number against this charge; feeds billing/keys refundIdempotencyKey. */
    seq: integer('seq').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    reason: text('reason'),
    /** Amazon Pay's RefundId; null until Amazon answered. */
    refundId: text('refund_id'),
    /** pending (not confirmed by Amazon yet) | RefundInitiated | Refunded | Declined | failed */
    state: text('state').notNull(),
    reasonCode: text('reason_code'),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** When Amazon Pay says the refund reached Refunded or Declined (its lastUpdatedTimestamp). */
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    /**
     * While a request is sending Create Refund for this pending row: when its send may have ended
     * at the latest (start + client/subscriptions/refund.ts REFUND_SEND_LEASE_MS); null once the
     * send got an answer or failed. A pending row whose lease is null or past has no sender left,
     * so a request without an Idempotency-Key may re-send it; one still within it is another
     * request's refund in flight and is never taken over.
     */
    sendLeaseUntil: timestamp('send_lease_until', { withTimezone: true }),
    /** Last Get Refund by the REFUND IPN reaction or the reconciliation poll: the poll asks least recently checked first. */
    lastCheckedAt: timestamp('last_checked_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('refunds_charge_seq_key').on(table.chargeId, table.seq),
    uniqueIndex('refunds_idempotency_key_key').on(table.idempotencyKey),
    uniqueIndex('refunds_refund_id_key').on(table.refundId),
    index('refunds_subscription_idx').on(table.subscriptionId),
    index('refunds_state_idx').on(table.state, table.requestedAt),
    check('refunds_amount_positive', sql`${table.amountMinor} > 0`),
    check('refunds_seq_positive', sql`${table.seq} >= 1`),
  ],
);

export type RefundRow = typeof refunds.$inferSelect;
