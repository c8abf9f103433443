// Migration 0007 on a database that ran the daemon before it: an attempt Create Charge refused was
// recorded as Amazon's `Declined` with no ChargeId; after the migration it is `Refused`, a Charge
// declined later keeps `Declined`, and no row without a ChargeId can claim a Charge's state again.
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { migrateDatabase } from '../../db/migrate.js';
import { databaseMigratedTo } from '../support/old-migrations.js';

const BEFORE = '0006_idempotency_key_refund';

describe('migration 0007: refusals get the ledger state Refused', () => {
  let db: Awaited<ReturnType<typeof databaseMigratedTo>>;
  let sql: postgres.Sql;
  let url: string;

  beforeAll(async () => {
    db = await databaseMigratedTo(inject('postgresAdminUrl'), BEFORE);
    ({ sql, url } = db);
  });
  afterAll(async () => db?.drop());

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
