// Migration 0007 on a database that ran the daemon before it: an attempt Create Charge refused was
// recorded as Amazon's `Declined` with no ChargeId; after the migration it is `Refused`, a Charge
// declined later keeps `Declined`, and no row without a ChargeId can claim a Charge's state again.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { migrateDatabase, MIGRATIONS_FOLDER } from '../../db/migrate.js';

const BEFORE = '0006_idempotency_key_refund';

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

describe('migration 0007: refusals get the ledger state Refused', () => {
  const adminUrl = inject('postgresAdminUrl');
  const name = `migration_${randomBytes(6).toString('hex')}`;
  const url = adminUrl.replace(/\/postgres$/, `/${name}`);
  let sql: postgres.Sql;
  let oldMigrations: string;

  beforeAll(async () => {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    await admin.end();
    sql = postgres(url, { max: 1, onnotice: () => {} });
    oldMigrations = await migrationsUpTo(BEFORE);
    await migrate(drizzle(sql), { migrationsFolder: oldMigrations });
  });
  afterAll(async () => {
    await sql?.end();
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
    if (oldMigrations) await rm(oldMigrations, { recursive: true, force: true });
  });

  it('rewrites Declined rows without a ChargeId to Refused, keeps every other row, then refuses a Declined row without one', async () => {
    await sql`insert into subscriptions (id, workflow_id, charge_permission_id, environment, status, amount_minor, currency, interval_unit, interval_count, anchor_local, anchor_zone)
      values ('sub-old', 'subscription-sub-old', 'S01-0000001-0000001', 'sandbox', 'past_due', 1400, 'USD', 'month', 1, '2026-01-31T09:00:00', 'UTC')`;
    const row = (cycle: number, attempt: number, state: string, chargeId: string | null, outcome: string | null, reasonCode: string | null) =>
      sql`insert into charges (subscription_id, cycle, attempt, idempotency_key, amount_minor, currency, charge_id, state, outcome, reason_code)
        values ('sub-old', ${cycle}, ${attempt}, ${`key-${cycle}-${attempt}`}, 1400, 'USD', ${chargeId}, ${state}, ${outcome}, ${reasonCode})`;
    await row(0, 0, 'Captured', 'S01-0000001-0000001-C000001', 'checkout', null);
    await row(1, 1, 'Declined', null, 'soft_decline', 'SoftDeclined');
    await row(1, 2, 'Declined', null, 'permission_state', 'InvalidChargePermissionStatus');
    await row(1, 3, 'Declined', 'S01-0000001-0000001-C000002', 'ok', 'HardDeclined');
    await row(1, 4, 'failed', null, 'invalid_request', 'InvalidParameterValue');
    await row(1, 5, 'pending', null, null, null);

    await migrateDatabase(url);

    const after = await sql<{ attempt: number; state: string; chargeId: string | null; reasonCode: string | null }[]>`
      select attempt, state, charge_id as "chargeId", reason_code as "reasonCode" from charges order by cycle, attempt`;
    expect(after).toEqual([
      { attempt: 0, state: 'Captured', chargeId: 'S01-0000001-0000001-C000001', reasonCode: null },
      { attempt: 1, state: 'Refused', chargeId: null, reasonCode: 'SoftDeclined' },
      { attempt: 2, state: 'Refused', chargeId: null, reasonCode: 'InvalidChargePermissionStatus' },
      { attempt: 3, state: 'Declined', chargeId: 'S01-0000001-0000001-C000002', reasonCode: 'HardDeclined' },
      { attempt: 4, state: 'failed', chargeId: null, reasonCode: 'InvalidParameterValue' },
      { attempt: 5, state: 'pending', chargeId: null, reasonCode: null },
    ]);
    // An older worker still writing a refusal as Declined during an upgrade fails (and is retried) rather than writing it.
    await expect(row(1, 6, 'Declined', null, 'soft_decline', 'SoftDeclined')).rejects.toThrow(/charges_state_matches_charge_id/);
    await expect(row(1, 7, 'Refused', 'S01-0000001-0000001-C000003', 'ok', null)).rejects.toThrow(/charges_state_matches_charge_id/);
  });
});
