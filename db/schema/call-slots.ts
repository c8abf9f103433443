import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The next free slot of one Amazon Pay operation's quota, shared by every daemon replica
 * (db/queries/call-slots.ts). Amazon Pay counts its throttle buckets per merchant account and
 * operation (its "API throttling limits" page); one row per pair spaces the calls of all
 * processes together, where each process's own spacing let two replicas' calls bunch.
 * `account` is '' for the deployment's one merchant account until several are configured.
 */
export const amazonPayCallSlots = pgTable(
  'amazon_pay_call_slots',
  {
    account: text('account').notNull().default(''),
    /** Amazon Pay's operation, e.g. 'createCharge'. */
    operation: text('operation').notNull(),
    /** When the next call may go out: the slot after the last one reserved. */
    nextSlotAt: timestamp('next_slot_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.account, t.operation] })],
);
