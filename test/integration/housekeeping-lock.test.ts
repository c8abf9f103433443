// The housekeeping run lock (daemon/housekeeping/lock.ts) against PostgreSQL: one run per job at
// a time and per tick, a dead run's tick claimed again, and — what the lock must not cost — no
// transaction open while a job runs, so events written meanwhile reach the feed at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEvents } from '../../client/events.js';
import { runOncePerTick } from '../../daemon/housekeeping/lock.js';
import { insertSubscription } from '../../db/queries/subscriptions.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';
import { monthlySubscriptionRow } from '../support/subscription-rows.js';
import { waitUntil } from '../support/webhook-receiver.js';

/** A job that runs until released, saying when it started. */
function heldJob() {
  let release!: () => void;
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const done = new Promise<void>((resolve) => (release = resolve));
  return {
    running,
    release,
    run: async () => {
      started();
      await done;
      return { held: true };
    },
  };
}

describe('housekeeping run lock', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.drop());

  it('holds no transaction while the job runs: an event written meanwhile is readable from the feed before the job ends', async () => {
    const job = heldJob();
    const run = runOncePerTick(database.sql, 'reconcile', new Date('2026-03-01T09:00:00Z'), 'replica-a', job.run);
    await job.running;
    await insertSubscription(database.db, monthlySubscriptionRow('hk-during-job'));
    // Before: the run's transaction (it had claimed the tick) held the feed back until the job ended.
    await waitUntil(
      'subscription.started readable while the job runs',
      async () => (await listEvents({ db: database.db }, { subscriptionId: 'hk-during-job' })).data.length === 1,
      10_000,
    );
    job.release();
    expect(await run).toEqual({ ran: true, result: { held: true } });
  });

  it('runs a job once per tick: a second run meanwhile is locked out, a later one finds the tick run, the next tick runs', async () => {
    const tick = new Date('2026-03-01T10:00:00Z');
    const job = heldJob();
    const first = runOncePerTick(database.sql, 'drift', tick, 'replica-a', job.run);
    await job.running;
    expect(await runOncePerTick(database.sql, 'drift', tick, 'replica-b', async () => 'ran twice')).toEqual({ ran: false, reason: 'locked' });
    // Another job is not held by this one's lock.
    expect(await runOncePerTick(database.sql, 'inboxSweep', tick, 'replica-b', async () => 'other job')).toEqual({ ran: true, result: 'other job' });
    job.release();
    expect(await first).toEqual({ ran: true, result: { held: true } });
    expect(await runOncePerTick(database.sql, 'drift', tick, 'replica-b', async () => 'late')).toEqual({ ran: false, reason: 'tick already run' });
    expect(await runOncePerTick(database.sql, 'drift', new Date('2026-03-01T10:01:00Z'), 'replica-b', async () => 'next')).toEqual({
      ran: true,
      result: 'next',
    });
  });

  it("claims again the tick of a run that died (its row unfinished, its lock gone); a failing job's tick is recorded as run, with its error", async () => {
    const tick = new Date('2026-03-01T11:00:00Z');
    await database.sql`insert into housekeeping_runs (job, tick, replica) values ('reconcile', ${tick.toISOString()}::timestamptz, 'replica-dead')`;
    expect(await runOncePerTick(database.sql, 'reconcile', tick, 'replica-b', async () => 'rerun')).toEqual({ ran: true, result: 'rerun' });
    const [row] = await database.sql<{ replica: string; finished: boolean }[]>`
      select replica, finished_at is not null as finished from housekeeping_runs where job = 'reconcile' and tick = ${tick.toISOString()}::timestamptz`;
    expect(row).toEqual({ replica: 'replica-b', finished: true });

    const failing = new Date('2026-03-01T12:00:00Z');
    await expect(
      runOncePerTick(database.sql, 'reconcile', failing, 'replica-a', async () => {
        throw new Error('Amazon Pay unreachable');
      }),
    ).rejects.toThrow('Amazon Pay unreachable');
    const [failed] = await database.sql<{ error: string | null }[]>`
      select error from housekeeping_runs where job = 'reconcile' and tick = ${failing.toISOString()}::timestamptz`;
    expect(failed?.error).toBe('Amazon Pay unreachable');
    expect(await runOncePerTick(database.sql, 'reconcile', failing, 'replica-b', async () => 'again')).toEqual({ ran: false, reason: 'tick already run' });
    // The lock was released after the failure: the next tick runs.
    expect(await runOncePerTick(database.sql, 'reconcile', new Date('2026-03-01T12:01:00Z'), 'replica-b', async () => 'next')).toEqual({
      ran: true,
      result: 'next',
    });
  });
});
