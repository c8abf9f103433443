import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, customType, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { subscriptions } from './subscriptions.js';

/** PostgreSQL's xid8 (a 64-bit transaction id that never wraps), read and written as a decimal string. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/**
 * The event log and transactional outbox (docs/events.md): one row per business fact, inserted
 * in the same transaction as the ledger or status change it reports, so neither exists without
 * the other. Webhook deliveries (webhook_deliveries) and `GET /v1/events` read from here.
 */
export const events = pgTable(
  'events',
  {
    /** Public id ("evt_" + 32 hex digits): the webhook-id of every delivery of the event. */
    id: text('id').primaryKey(),
    /** Global position, for ordering and cursors; assigned at insert, so not in commit order (see txid). */
    position: bigserial('position', { mode: 'bigint' }).notNull().unique('events_position_key'),
    /**
     * The inserting transaction's id (pg_current_xact_id()). A reader takes only events whose
     * transaction is older than every transaction still running (pg_snapshot_xmin), so an event
     * committed late with a smaller position is never skipped by a cursor that moved past it.
     */
    txid: xid8('txid')
      .notNull()
      .default(sql`pg_current_xact_id()`),
    /** One of EVENT_TYPES (billing/event-types.ts), e.g. "charge.succeeded". */
    type: text('type').notNull(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id),
    /** 1, 2, 3 … per subscription, with no gaps (subscriptions.last_event_sequence, bumped under the row lock). */
    sequence: integer('sequence').notNull(),
    /** The Amazon Pay merchant account the subscription bills through; null: the deployment's only account. */
    account: text('account'),
    /** When the fact happened (the workflow's or request's time), not when the row was written. */
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    /** The event's `data` object; its JSON schema per type is in api/schemas/events.ts and docs/events.md. */
    data: jsonb('data').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('events_subscription_sequence_key').on(table.subscriptionId, table.sequence),
    index('events_txid_position_idx').on(table.txid, table.position),
    index('events_type_idx').on(table.type, table.position),
    check('events_sequence_positive', sql`${table.sequence} > 0`),
  ],
);

/**
 * Webhook endpoints: a merchant's URL that receives signed events (Standard Webhooks). The
 * secret ("whsec_" + base64) is stored because signing needs it; it is shown at creation and
 * rotation only and never logged or exported.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  /** Public id ("we_" + 24 hex digits). */
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  /** Event types delivered to it; null: every type. */
  eventTypes: text('event_types').array(),
  description: text('description'),
  secret: text('secret').notNull(),
  /** The secret before the last rotation, still signed with until previous_secret_expires_at. */
  previousSecret: text('previous_secret'),
  previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
  /** enabled | disabled */
  status: text('status').notNull().default('enabled'),
  /** Why it was disabled: operator, gone (410), failing (the whole retry window). */
  disabledReason: text('disabled_reason'),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
  /** Events at or after this position (events.position) are delivered to it: none from before it existed. */
  fromPosition: bigint('from_position', { mode: 'bigint' }).notNull(),
  /** The Amazon Pay merchant account whose events it receives; null: all accounts. */
  account: text('account'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One row per (event, endpoint): the delivery, retried until a 2xx or the retry schedule ends.
 * Workers claim due rows with FOR UPDATE SKIP LOCKED (see webhooks/), so each delivery is made by
 * one replica at a time.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    /** pending | delivered | failed (the schedule ran out, or the endpoint was disabled) */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    /** A claim: the replica attempting it holds it until then; an expired lease is taken over. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
  },
  (table) => [
    uniqueIndex('webhook_deliveries_event_endpoint_key').on(table.eventId, table.endpointId),
    index('webhook_deliveries_due_idx')
      .on(table.nextAttemptAt)
      .where(sql`${table.status} = 'pending'`),
    index('webhook_deliveries_endpoint_idx').on(table.endpointId, table.id),
    // The claim takes the oldest due deliveries of each endpoint up to its concurrency limit (webhooks/claim).
    index('webhook_deliveries_endpoint_due_idx')
      .on(table.endpointId, table.nextAttemptAt)
      .where(sql`${table.status} = 'pending'`),
  ],
);

/** Every attempt of a delivery: what the endpoint answered, how fast, and the start of its body. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    deliveryId: bigint('delivery_id', { mode: 'bigint' })
      .notNull()
      .references(() => webhookDeliveries.id),
    attempt: integer('attempt').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** null: no HTTP answer (connection refused, timeout, …; see error). */
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    /** The response body's first 1,024 characters. */
    responseBody: text('response_body'),
    error: text('error'),
    replica: text('replica'),
  },
  (table) => [index('webhook_attempts_delivery_idx').on(table.deliveryId, table.attempt)],
);

/**
 * Where the fan-out (events → webhook_deliveries) stands: one row, locked by the replica doing
 * the fan-out, holding the (txid, position) cursor of the last event fanned out.
 */
export const webhookFanout = pgTable('webhook_fanout', {
  name: text('name').primaryKey(),
  lastTxid: xid8('last_txid').notNull(),
  lastPosition: bigint('last_position', { mode: 'bigint' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type EventRow = typeof events.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;
