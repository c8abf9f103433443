import { sql } from 'drizzle-orm';
import { bigint, char, check, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One row per subscription: the plan, its anchor, and the status operators see. */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: text('id').primaryKey(),
    workflowId: text('workflow_id').notNull().unique('subscriptions_workflow_id_key'),
    chargePermissionId: text('charge_permission_id').notNull(),
    environment: text('environment').notNull(),
    status: text('status').notNull(),
    statusReason: text('status_reason'),
    amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    intervalUnit: text('interval_unit').notNull(),
    intervalCount: integer('interval_count').notNull(),
    /** Wall time of the billing anchor ('YYYY-MM-DDTHH:mm:ss') in anchor_zone; cycle n is computed from it. */
    anchorLocal: text('anchor_local').notNull(),
    anchorZone: text('anchor_zone').notNull(),
    /**
     * The anchor's intended day of month when anchor_local's day is a clamped one (billing/types.ts
     * BillingAnchor.dayOfMonth), e.g. 31 for a replacement that continues a Jan 31 plan from Feb 28
     * (client/checkout/replace.ts); null: anchor_local's own day.
     */
    anchorDayOfMonth: integer('anchor_day_of_month'),
    trial: jsonb('trial'),
    endAfterCycles: integer('end_after_cycles'),
    endAt: timestamp('end_at', { withTimezone: true }),
    softDescriptor: text('soft_descriptor'),
    merchantMetadata: jsonb('merchant_metadata'),
    /** Charge captured at checkout (Complete Checkout Session), recorded as cycle 0. */
    firstChargeId: text('first_charge_id'),
    /**
     * The Charge Permission's expirationTimestamp as Amazon Pay last answered it (null: none, as for
     * PaymentMethodOnFile): read at start, then written by every later read of the permission
     * (db/queries/permissions.ts recordPermissionExpiry), since Amazon moves it. No Create Charge
     * is sent at or after it unless Amazon's answer then says otherwise (workflows/settle-cycle.ts).
     */
    permissionExpiresAt: timestamp('permission_expires_at', { withTimezone: true }),
    currentCycle: integer('current_cycle').notNull().default(0),
    nextBillingAt: timestamp('next_billing_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /**
     * When a stop "now" was asked for (admin, HTTP API, IPN reaction), written before the
     * workflow is told: a charge not yet sent to Amazon Pay is then never sent
     * (activities/charges.ts), even if the signal or cancellation never arrives.
     */
    stopRequestedAt: timestamp('stop_requested_at', { withTimezone: true }),
    /** Why the stop was asked for (BuyerClosed, an operator's text, …), for the run that acts on it. */
    stopRequestedReason: text('stop_requested_reason'),
    /**
     * The final status the stop ends the subscription with: 'ended' when the daemon stopped it for
     * an expired Charge Permission (billing/permission-end.ts); null (every operator's stop, and
     * rows from before this column) or 'canceled': canceled. Kept apart from the reason, which an
     * operator types, so no text is ever taken for Amazon's.
     */
    stopRequestedStatus: text('stop_requested_status'),
    /**
     * When a stop at the end of the paid period was asked for (admin, HTTP API), written before the
     * workflow is told (client/subscriptions/stop-at-period-end.ts): no Create Charge is sent for a
     * cycle after `periodEndStopAfterCycle` (activities/charges.ts), and `billing repair` finishes
     * or restarts the subscription with it, even if the signal never arrived or the workflow died.
     */
    periodEndStopRequestedAt: timestamp('period_end_stop_requested_at', { withTimezone: true }),
    /** Why (an operator's or the buyer's text): the reason the subscription is canceled with. */
    periodEndStopReason: text('period_end_stop_reason'),
    /**
     * The last cycle that may still be billed (the last paid period, or the cycle being retried
     * when the stop came); -1 when nothing was billed yet (the first cycle is 0 unless checkout
     * charged it). The subscription ends when cycle + 1 comes due.
     */
    periodEndStopAfterCycle: integer('period_end_stop_after_cycle'),
    /** When cycle periodEndStopAfterCycle + 1 was due, as known when the stop was recorded (the day it ends); null when not known then. */
    periodEndStopEndsAt: timestamp('period_end_stop_ends_at', { withTimezone: true }),
    /** The sequence number of the subscription's last event (events.sequence); bumped in the event's transaction. */
    lastEventSequence: integer('last_event_sequence').notNull().default(0),
    /** The Amazon Pay merchant account the subscription bills through; null: the deployment's only account. */
    account: text('account'),
  },
  (table) => [
    index('subscriptions_charge_permission_idx').on(table.chargePermissionId),
    index('subscriptions_status_idx').on(table.status),
    check('subscriptions_amount_positive', sql`${table.amountMinor} > 0`),
    check('subscriptions_interval_count_positive', sql`${table.intervalCount} > 0`),
  ],
);

export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type NewSubscriptionRow = typeof subscriptions.$inferInsert;
