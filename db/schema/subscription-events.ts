import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { subscriptions } from './subscriptions.js';

/** Status history: every transition of a subscription, with the reason code behind it. */
export const subscriptionEvents = pgTable(
  'subscription_events',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    reasonCode: text('reason_code'),
    cycle: integer('cycle'),
    detail: jsonb('detail'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('subscription_events_subscription_idx').on(table.subscriptionId, table.at)],
);

export type SubscriptionEventRow = typeof subscriptionEvents.$inferSelect;
