// Issue 18: checkouts that never start a subscription (a button never clicked, a session claimed by
// a complete that failed or crashed) do not pile up: housekeeping's prune job deletes them once
// Amazon Pay has deleted every Checkout Session that could still complete them (30 days; longer
// with a longer pruneAfter), on real PostgreSQL. A checkout that started its subscription stays.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHousekeepingJobs, type HousekeepingDeps } from '../../daemon/housekeeping/jobs.js';
import { claimCheckout, getCheckout, saveCheckout } from '../../db/queries/checkouts.js';
import { insertSubscription } from '../../db/queries/subscriptions.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';
import { monthlySubscriptionRow } from '../support/subscription-rows.js';

const DAY = 86_400_000;

describe('stale checkouts', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.close());

  it('prune deletes checkouts older than 30 days (and pruneAfter) that started no subscription, and keeps the rest', async () => {
    const now = new Date('2031-03-01T00:00:00Z');
    const save = (subscriptionId: string, at: Date) => saveCheckout(database.db, { subscriptionId, account: null, terms: {}, payloadJson: '{}', at });
    const old = new Date(now.getTime() - 31 * DAY);
    await save('never-clicked', old);
    await save('claimed-never-started', old);
    await claimCheckout(database.db, {
      subscriptionId: 'claimed-never-started',
      checkoutSessionId: 'bd504926-f659-4ad7-a1a9-9a747aaf5275',
      anchorLocal: '2031-01-29T00:00',
      at: old,
    });
    await save('started', old);
    await insertSubscription(database.db, monthlySubscriptionRow('started', { anchorLocal: '2031-01-29T00:00' }));
    await save('young', new Date(now.getTime() - 29 * DAY));

    const warned: unknown[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warned.push(JSON.parse(line)) });
    // A pruneAfter shorter than a session's 30 days does not cut a checkout that can still complete.
    const jobs = createHousekeepingJobs({ db: database.db, now: () => now, logger, pruneAfterMs: DAY } as unknown as HousekeepingDeps);
    expect((await jobs.prune()).checkouts).toBe(2);
    const left = await Promise.all(
      ['never-clicked', 'claimed-never-started', 'started', 'young'].map(async (id) => [id, (await getCheckout(database.db, id)) !== undefined]),
    );
    expect(Object.fromEntries(left)).toEqual({ 'never-clicked': false, 'claimed-never-started': false, started: true, young: true });
    expect(warned).toEqual([expect.objectContaining({ subscriptionId: 'claimed-never-started', checkoutSessionId: 'bd504926-f659-4ad7-a1a9-9a747aaf5275' })]);
    expect((await jobs.prune()).checkouts).toBe(0);
  });
});
