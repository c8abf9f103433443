// The Charge Permission lease (db/queries/permission-leases.ts) that keeps starts and plan changes
// on one permission apart, against PostgreSQL: one holder at a time, an expired lease taken over,
// a holder releases only its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePermissionLease, takePermissionLease } from '../../db/queries/permission-leases.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';

const now = new Date('2026-03-01T09:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms);

describe('Charge Permission leases', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.drop());

  it('one holder at a time; a live lease is refused naming its holder, an expired one is taken over; release gives back only its own', async () => {
    const cp = 'S01-1111111-1111111';
    const take = (holder: string, nowAt: Date) =>
      takePermissionLease(database.db, { chargePermissionId: cp, holder, now: nowAt, until: new Date(nowAt.getTime() + 120_000) });
    expect(await take('start of subscription a', now)).toEqual({ taken: true });
    expect(await take('plan change of subscription b', at(1_000))).toEqual({ taken: false, holder: 'start of subscription a', until: at(120_000) });
    // Another permission is not held.
    expect(await takePermissionLease(database.db, { chargePermissionId: 'S01-2222222-2222222', holder: 'c', now, until: at(1_000) })).toEqual({ taken: true });
    // The holder died: after `until` the lease is another's.
    expect(await take('plan change of subscription b', at(120_000))).toEqual({ taken: true });
    await releasePermissionLease(database.db, cp, 'start of subscription a');
    expect(await take('start of subscription e', at(121_000))).toMatchObject({ taken: false, holder: 'plan change of subscription b' });
    await releasePermissionLease(database.db, cp, 'plan change of subscription b');
    expect(await take('start of subscription e', at(121_000))).toEqual({ taken: true });
  });
});
