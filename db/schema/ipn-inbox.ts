import { bigserial, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** Every IPN as received, stored before it is acknowledged; duplicates collapse on message_id. */
export const ipnInbox = pgTable(
  'ipn_inbox',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    /** SNS MessageId: the same on every redelivery. */
    messageId: text('message_id').notNull(),
    notificationId: text('notification_id'),
    /** SNS Type: Notification | SubscriptionConfirmation | UnsubscribeConfirmation */
    snsType: text('sns_type').notNull(),
    objectType: text('object_type'),
    objectId: text('object_id'),
    chargePermissionId: text('charge_permission_id'),
    rawBody: text('raw_body').notNull(),
    /** pending | dispatched | processed | ignored | failed */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('ipn_inbox_message_id_key').on(table.messageId),
    // Amazon's NotificationId: a redelivery under a new MessageId still collapses (nulls stay distinct).
    uniqueIndex('ipn_inbox_notification_id_key').on(table.notificationId),
    index('ipn_inbox_status_idx').on(table.status, table.receivedAt),
  ],
);

export type IpnInboxRow = typeof ipnInbox.$inferSelect;
