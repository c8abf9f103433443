import { integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Charge Permissions the IPN pipeline met but cannot act on: no subscription uses them, or
 * Amazon Pay does not know them. Recorded once (with a count) so repeated IPNs are not
 * fetched from Amazon Pay again and again.
 */
export const unknownPermissions = pgTable('unknown_permissions', {
  chargePermissionId: text('charge_permission_id').primaryKey(),
  /** no_subscription | not_found */
  reason: text('reason').notNull(),
  seenCount: integer('seen_count').notNull().default(1),
  firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * REFUND IPNs for refunds the refunds table does not hold (made outside this daemon, or
 * unknown to Amazon Pay): recorded once with a count, so they are settled, not retried.
 */
export const unknownRefunds = pgTable('unknown_refunds', {
  refundId: text('refund_id').primaryKey(),
  chargePermissionId: text('charge_permission_id'),
  /** no_refund_row | not_found */
  reason: text('reason').notNull(),
  seenCount: integer('seen_count').notNull().default(1),
  firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
});

/** When reconciliation (or an IPN reaction) last fetched a Charge Permission: oldest-checked first. */
export const permissionChecks = pgTable('permission_checks', {
  chargePermissionId: text('charge_permission_id').primaryKey(),
  lastCheckedAt: timestamp('last_checked_at', { withTimezone: true }).notNull(),
  /** Chargeable | NonChargeable | Closed | NotFound | error */
  lastState: text('last_state').notNull(),
});

/**
 * One row per (job, cron tick): the replica that inserts it runs the job for that tick, so a
 * tick runs once however many replicas fire it. The advisory lock keeps runs from overlapping.
 */
export const housekeepingRuns = pgTable(
  'housekeeping_runs',
  {
    job: text('job').notNull(),
    tick: timestamp('tick', { withTimezone: true }).notNull(),
    replica: text('replica').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    result: jsonb('result'),
    error: text('error'),
  },
  (table) => [primaryKey({ name: 'housekeeping_runs_pkey', columns: [table.job, table.tick] })],
);
