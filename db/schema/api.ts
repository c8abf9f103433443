import { bigint, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { refunds } from './refunds.js';

/**
 * API keys of the HTTP API (api/). The key itself is shown once, at creation; only its SHA-256
 * (hex) is stored, with a short prefix so an operator can recognise a key in `billing api-keys list`.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    /** Public id of the key (e.g. "key_3f9a…"): named by `billing api-keys revoke`. */
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** First characters of the key ("bk_4fQ2xZ"), never enough to use it. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key, lower-case hex. */
    hash: text('hash').notNull(),
    /** read_write | read_only */
    scope: text('scope').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (table) => [uniqueIndex('api_keys_hash_key').on(table.hash)],
);

/**
 * One row per Idempotency-Key sent with a POST of the HTTP API: claimed (inserted) before the
 * request runs, completed with the response it produced. A repeat with the same request gets
 * that response back; a repeat with another request is refused.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** The Idempotency-Key header; unique per API key (as Stripe scopes them), not across keys. */
    key: text('key').notNull(),
    /** SHA-256 of method, path and the canonical JSON body: what "the same request" means. */
    requestHash: text('request_hash').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    /** The API key (api_keys.id) that sent it: another API key's request with the same header value is another request. */
    apiKeyId: text('api_key_id').notNull(),
    /**
     * in_progress | completed | released. Released: the request failed in a way worth retrying
     * (5xx, 503); the row keeps the request's fingerprint, so a retry with the same request runs
     * again and one with another request is still refused.
     */
    state: text('state').notNull(),
    /** When the claim was taken; an in_progress claim older than the lease may be taken over. */
    lockedAt: timestamp('locked_at', { withTimezone: true }).notNull().defaultNow(),
    responseStatus: integer('response_status'),
    responseContentType: text('response_content_type'),
    /** The body exactly as sent (text, not jsonb: a replay is byte for byte the same). */
    responseBody: text('response_body'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /**
     * The refund (refunds.id) a POST /v1/charges/{chargeId}/refunds with this key recorded or
     * re-sent, written in the same transaction: a retry after a 503 continues that refund and
     * never records another, even when it was re-sent by another request in between.
     */
    refundId: bigint('refund_id', { mode: 'bigint' }).references(() => refunds.id),
  },
  (table) => [primaryKey({ name: 'idempotency_keys_pkey', columns: [table.apiKeyId, table.key] }), index('idempotency_keys_created_idx').on(table.createdAt)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;
