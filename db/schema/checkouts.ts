import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * A checkout the merchant prepared with POST /v1/checkout-sessions (client/checkout/create.ts):
 * the terms of the subscription it will start and the Amazon Pay button payload signed for them.
 * Amazon creates the Checkout Session only when the buyer clicks the button; the session carries
 * the subscription id as merchantMetadata.merchantReferenceId, which is how complete finds this
 * row. One checkout per subscription id: the session that completes it is recorded before
 * Complete Checkout Session is called, so a second session (a second click, another tab) is
 * refused before Amazon Pay charges the buyer again.
 */
export const checkouts = pgTable('checkouts', {
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
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type CheckoutRow = typeof checkouts.$inferSelect;
