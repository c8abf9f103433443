import { and, eq, sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { permissionLeases } from '../schema/index.js';

export type PermissionLease = { taken: true } | { taken: false; holder: string; until: Date };

/**
 * Takes the lease of Charge Permission `chargePermissionId` for `holder` until `until`, when no
 * live lease of another holder exists (one whose `until` is after `now`; an expired one is taken
 * over). One statement: two callers never both take it.
 */
export async function takePermissionLease(
  db: DatabaseOrTransaction,
  lease: { chargePermissionId: string; holder: string; now: Date; until: Date },
): Promise<PermissionLease> {
  const taken = await db
    .insert(permissionLeases)
    .values({ chargePermissionId: lease.chargePermissionId, holder: lease.holder, until: lease.until })
    .onConflictDoUpdate({
      target: permissionLeases.chargePermissionId,
      set: { holder: lease.holder, until: lease.until },
      where: sql`${permissionLeases.until} <= ${lease.now.toISOString()}::timestamptz`,
    })
    .returning({ holder: permissionLeases.holder });
  if (taken.length > 0) return { taken: true };
  const [held] = await db.select().from(permissionLeases).where(eq(permissionLeases.chargePermissionId, lease.chargePermissionId));
  // Released between the two statements: the caller may simply try again.
  return held ? { taken: false, holder: held.holder, until: held.until } : { taken: false, holder: 'a change that just ended', until: lease.now };
}

/** Gives the lease back, only if `holder` still has it (an expired lease another caller took over stays theirs). */
export async function releasePermissionLease(db: DatabaseOrTransaction, chargePermissionId: string, holder: string): Promise<void> {
  await db.delete(permissionLeases).where(and(eq(permissionLeases.chargePermissionId, chargePermissionId), eq(permissionLeases.holder, holder)));
}

/** Moves the lease's `until` on while `holder` still has it; false when it no longer has it. */
export async function renewPermissionLease(db: DatabaseOrTransaction, chargePermissionId: string, holder: string, until: Date): Promise<boolean> {
  const renewed = await db
    .update(permissionLeases)
    .set({ until })
    .where(and(eq(permissionLeases.chargePermissionId, chargePermissionId), eq(permissionLeases.holder, holder)))
    .returning({ holder: permissionLeases.holder });
  return renewed.length > 0;
}
