// A database as an older daemon left it (its migrations up to a tag), for migration tests.
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { MIGRATIONS_FOLDER } from '../../db/migrate.js';

/** A copy of the migrations folder whose journal ends at `lastTag`: the schema as an older daemon left it. */
async function migrationsUpTo(lastTag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'billing-migrations-'));
  await cp(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const last = journal.entries.findIndex((e) => e.tag === lastTag);
  if (last < 0) throw new Error(`no migration ${lastTag}`);
  await writeFile(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, last + 1) }));
  return dir;
}

/** A new database migrated up to `lastTag` (inclusive); `drop` closes and removes it. */
export async function databaseMigratedTo(adminUrl: string, lastTag: string): Promise<{ url: string; sql: postgres.Sql; drop: () => Promise<void> }> {
  const name = `migration_${randomBytes(6).toString('hex')}`;
  const url = adminUrl.replace(/\/postgres$/, `/${name}`);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const oldMigrations = await migrationsUpTo(lastTag);
  await migrate(drizzle(sql), { migrationsFolder: oldMigrations });
  await rm(oldMigrations, { recursive: true, force: true });
  return {
    url,
    sql,
    drop: async () => {
      await sql.end();
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      await dropper.end();
    },
  };
}
