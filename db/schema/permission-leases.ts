import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row while a subscription start or plan change is being decided on a Charge Permission
 * (db/queries/permission-leases.ts): what it checks against the permission's other plans (the
 * monthly cap holds them together) stays true until it has written its own plan. A lease, not a
 * lock held on a connection or in a transaction: the Amazon Pay calls in between may take seconds,
 * and an open transaction would hold back the event feed. A holder that died leaves a row that
 * expires at `until`.
 */
export const permissionLeases = pgTable('permission_leases', {
  chargePermissionId: text('charge_permission_id').primaryKey(),
  /** What holds it, for the refusal's message: "start of sub-1", "plan change of sub-2". */
  holder: text('holder').notNull(),
  until: timestamp('until', { withTimezone: true }).notNull(),
});
