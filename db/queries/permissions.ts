// Charge Permissions as the daemon checked them: the last state reconciliation or an IPN's
// fetch saw, those Amazon Pay does not know (or no subscription of ours bills on), which ones
// the next reconciliation run should check, and their expirationTimestamp on the subscriptions.
import { and, eq, inArray, notInArray, sql } from 'drizzle-orm';
import { inSlices } from './slices.js';
import type { DatabaseOrTransaction } from '../client.js';
import { permissionChecks, subscriptions, unknownPermissions } from '../schema/index.js';
import { FINAL_SUBSCRIPTION_STATUSES } from '../../billing/vocabulary.js';

export async function recordUnknownPermission(
  db: DatabaseOrTransaction,
  chargePermissionId: string,
  reason: 'no_subscription' | 'not_found',
  at: Date,
): Promise<void> {
  await db
    .insert(unknownPermissions)
    .values({ chargePermissionId, reason, firstSeenAt: at, lastSeenAt: at })
    .onConflictDoUpdate({
      target: unknownPermissions.chargePermissionId,
      set: { reason, seenCount: sql`${unknownPermissions.seenCount} + 1`, lastSeenAt: at },
    });
}

export async function isKnownMissingPermission(db: DatabaseOrTransaction, chargePermissionId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: unknownPermissions.chargePermissionId })
    .from(unknownPermissions)
    .where(and(eq(unknownPermissions.chargePermissionId, chargePermissionId), eq(unknownPermissions.reason, 'not_found')));
  return row !== undefined;
}

export async function recordPermissionCheck(db: DatabaseOrTransaction, chargePermissionId: string, state: string, at: Date): Promise<void> {
  await db
    .insert(permissionChecks)
    .values({ chargePermissionId, lastCheckedAt: at, lastState: state })
    .onConflictDoUpdate({ target: permissionChecks.chargePermissionId, set: { lastCheckedAt: at, lastState: state } });
}

/** The state each of these Charge Permissions had at its last check (absent: never checked). */
export async function lastPermissionStates(db: DatabaseOrTransaction, chargePermissionIds: string[]): Promise<Map<string, string>> {
  const rows = await inSlices(chargePermissionIds, (slice) =>
    db
      .select({ id: permissionChecks.chargePermissionId, state: permissionChecks.lastState })
      .from(permissionChecks)
      .where(inArray(permissionChecks.chargePermissionId, slice)),
  );
  return new Map(rows.map((r) => [r.id, r.state]));
}

/**
 * Charge Permissions of non-final subscriptions, oldest-checked (never-checked first), that
 * Amazon Pay is not already known to have lost: what one reconciliation run should fetch.
 */
export async function permissionsToReconcile(db: DatabaseOrTransaction, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const rows = await db.execute<{ charge_permission_id: string }>(sql`
    select s.charge_permission_id
    from ${subscriptions} s
    left join ${permissionChecks} c on c.charge_permission_id = s.charge_permission_id
    where s.status not in ('canceled', 'ended')
      and not exists (select 1 from ${unknownPermissions} u where u.charge_permission_id = s.charge_permission_id and u.reason = 'not_found')
    group by s.charge_permission_id
    order by min(c.last_checked_at) asc nulls first, s.charge_permission_id
    limit ${limit}`);
  return rows.map((r) => r.charge_permission_id);
}

/**
 * Keeps subscriptions.permission_expires_at true: sets it to `expiresAt` — the Charge Permission's
 * expirationTimestamp as Amazon Pay just answered it (ISO instant; null: none) — on every live
 * subscription (not canceled or ended) on the permission whose value differs; an ended one keeps
 * the expiry it ended with. `undefined` (the answer stated no readable expiry) changes nothing.
 * Called wherever the daemon reads a Charge Permission: start (the insert), the workflow's Get
 * Charge Permission activity, the IPN reaction, reconciliation, a plan change's Update Charge
 * Permission. Returns the ids of the subscriptions changed.
 */
export async function recordPermissionExpiry(
  db: DatabaseOrTransaction,
  chargePermissionId: string,
  expiresAt: string | null | undefined,
  at: Date,
): Promise<string[]> {
  if (expiresAt === undefined) return [];
  const changed = await db
    .update(subscriptions)
    .set({ permissionExpiresAt: expiresAt === null ? null : new Date(expiresAt), updatedAt: at })
    .where(
      and(
        eq(subscriptions.chargePermissionId, chargePermissionId),
        notInArray(subscriptions.status, [...FINAL_SUBSCRIPTION_STATUSES]),
        sql`${subscriptions.permissionExpiresAt} is distinct from ${expiresAt}::timestamptz`,
      ),
    )
    .returning({ id: subscriptions.id });
  return changed.map((row) => row.id);
}
