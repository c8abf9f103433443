import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

/** Advisory lock keys of the migrations ('mig', 1), apart from housekeeping's ('kee') and the webhooks' ('whk'). */
const LOCK_CLASS = 0x6d6967;
const MIGRATE_LOCK = 1;

/**
 * Applies the committed drizzle-kit migrations on a dedicated single-connection client, one
 * caller at a time: replicas starting together on a new database (or after an upgrade that brings a
 * migration) would otherwise both see a migration unapplied, run its DDL and all but one fail. The
 * lock is session-level on the client's only connection, so it spans drizzle's transaction and is
 * released when the connection closes, even if this process dies mid-migration.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${LOCK_CLASS}, ${MIGRATE_LOCK})`;
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
    await sql`select pg_advisory_unlock(${LOCK_CLASS}, ${MIGRATE_LOCK})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
