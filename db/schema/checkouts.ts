import { sql } from 'drizzle-orm';
import { integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * A checkout the merchant prepared with POST /v1/checkout-sessions (client/checkout/create.ts):
 * the terms of the subscription it will start and the Amazon Pay button payload signed for them.
 * Amazon creates the Checkout Session only when the buyer clicks the button; the session carries
 * the subscription id as merchantMetadata.merchantReferenceId, which is how complete finds this
 * row. One checkout per subscription id: the session that completes it is recorded before
 * Complete Checkout Session is called, so a second session (a second click, another tab) is
 * refused before Amazon Pay charges the buyer again.
 */
export const checkouts = pgTable(
  'checkouts',
  {
    /** The subscription a completed checkout starts (subscriptions.id once started). */
    subscriptionId: text('subscription_id').primaryKey(),
    /** The Amazon Pay merchant account; null: the deployment's only account (as subscriptions.account). */
    account: text('account'),
    /** The subscription's terms (client/checkout/terms.ts CheckoutTerms): plan, trial, end, zone, descriptor, metadata, payment intent. */
    terms: jsonb('terms').notNull(),
    /** The Create Checkout Session body the button carries, exactly as signed. */
    payloadJson: text('payload_json').notNull(),
    /** The Checkout Session completing (or that completed) this checkout; null until one is being completed. */
    checkoutSessionId: text('checkout_session_id'),
    /** The subscription's anchor, fixed when its session was first completed, so repeated and concurrent completes start the same subscription. */
    anchorLocal: text('anchor_local'),
    /** The anchor's intended day of month when anchor_local's day is clamped (a replacement continuing a month-end plan); null otherwise. */
    anchorDayOfMonth: integer('anchor_day_of_month'),
    /**
     * The subscription this checkout replaces (client/checkout/replace.ts): its subscription starts
     * at that one's next billing date with nothing charged at checkout, and complete stops it and
     * closes its Charge Permission. Null: a checkout for a new buyer or plan.
     */
    replacesSubscriptionId: text('replaces_subscription_id'),
    /**
     * When the replacement was finished: the replaced subscription stopped and its Charge
     * Permission closed (or left open for another subscription on it). Null while a complete that
     * crashed between the steps left it unfinished: housekeeping's drift job finishes it.
     */
    replacementFinishedAt: timestamp('replacement_finished_at', { withTimezone: true }),
    /**
     * How many times Amazon Pay definitively refused Complete Checkout Session for this checkout
     * while the session stayed Open (InvalidCheckoutSessionStatus before the buyer approved,
     * AmountMismatch). Part of the complete's idempotency key (billing/keys.ts): Amazon replays the
     * saved answer to a repeated key, refusals included (amazon-pay-api reference §3), so without a
     * new key the session could never be completed after one refusal. Transient failures (429, 5xx,
     * timeouts) leave it, so a lost answer is replayed and a session is never completed twice.
     */
    completeRefusals: integer('complete_refusals').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // One Checkout Session at a time may complete a replacement of a given subscription: a second checkout replacing it is refused at its claim.
  (table) => [
    uniqueIndex('checkouts_one_claimed_replacement')
      .on(table.replacesSubscriptionId)
      .where(sql`${table.checkoutSessionId} is not null`),
  ],
);

export type CheckoutRow = typeof checkouts.$inferSelect;
