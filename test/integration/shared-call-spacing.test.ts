// Create Charge spaced over every replica (activities/call-spacer.ts sharedCallSpacer): two
// daemon replicas' workers on one charges queue, each with its own spacer as daemon/run.ts builds
// it, against an Amazon Pay quota whose burst holds two calls. Spaced per process, the replicas'
// calls bunched into 429s (docs/benchmarks.md: 125 in 5,000 with two replicas at 25/s).
import { TEST_WORKER_TUNING } from '../support/constants.js';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sharedCallSpacer } from '../../activities/call-spacer.js';
import { createActivities } from '../../activities/index.js';
import { createDb, type DatabaseHandle } from '../../db/client.js';
import { createWorkers, runWorkers } from '../../daemon/workers.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { shortSpec } from '../support/subscriptions.js';

const RATE = 8;

describe('Create Charge slots shared by replicas', () => {
  let h: BillingHarness;
  let replicaDbs: DatabaseHandle[] = [];
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];
  const connections: NativeConnection[] = [];

  beforeAll(async () => {
    h = await startBillingHarness({ workers: false, createChargePerSecond: RATE });
    // Each replica has its own connection pool, as each daemon process does.
    replicaDbs = [createDb(h.database.url, { max: 4 }), createDb(h.database.url, { max: 4 })];
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all(running);
    await Promise.all(connections.map((c) => c.close()));
    await Promise.all(replicaDbs.map((d) => d.close()));
    await h?.close();
  });

  it('spaces two spacers on separate pools one gap apart, on one row per account and operation', async () => {
    // Connections opened first: a first query's connect time is not the spacer's.
    await Promise.all(replicaDbs.map((d) => d.sql`select 1`));
    const spacers = replicaDbs.map((d) => sharedCallSpacer(d.db, { operation: 'test-spacing', perSecond: 20 }));
    const started = Date.now();
    const times = await Promise.all(Array.from({ length: 24 }, (_, i) => spacers[i % 2]!().then(() => Date.now() - started)));
    times.sort((a, b) => a - b);
    // 24 calls at 20/s, 12 through each pool: slots 50 ms apart on PostgreSQL's clock, seen here
    // through each round trip's own delay. Spaced per pool, pairs went out together (span 550 ms).
    const gaps = times.slice(1).map((t, k) => t - times[k]!);
    expect(times.at(-1)! - times[0]!, times.join(',')).toBeGreaterThanOrEqual(23 * 50 - 60);
    expect(gaps.sort((a, b) => a - b)[gaps.length >> 1], times.join(',')).toBeGreaterThanOrEqual(40);
    // Another account's (or operation's) slots are its own: not held back by this one's.
    const other = sharedCallSpacer(replicaDbs[0]!.db, { operation: 'test-spacing', perSecond: 20, account: 'eu' });
    const before = Date.now();
    await other();
    expect(Date.now() - before).toBeLessThan(500);
  });

  it('two replicas charge 24 subscriptions due at once under a burst of 2 without one 429', { timeout: 120_000 }, async () => {
    await h.control.setThrottle({ table: 'off', overrides: { createCharge: { burst: 2, ratePerSecond: RATE } } });
    for (const replica of replicaDbs) {
      // A connection of its own: one process's workers cannot share a queue's task types.
      const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
      connections.push(connection);
      const set = await createWorkers({
        connection,
        namespace: h.temporal.namespace,
        temporal: {
          taskQueues: h.taskQueues,
          worker: TEST_WORKER_TUNING,
          rateLimits: { createChargePerSecond: RATE, amazonReadsPerSecond: 100 },
        },
        activities: createActivities({
          db: replica.db,
          amazonPay: h.amazonPay,
          now: h.now,
          spaceCalls: sharedCallSpacer(replica.db, { operation: 'createCharge', perSecond: RATE }),
          createChargePerSecond: RATE,
        }),
      });
      workers.push(...set);
      running.push(runWorkers(set));
    }
    const permissions = await Promise.all(
      Array.from(
        { length: 24 },
        async () => (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId,
      ),
    );
    await Promise.all(permissions.map((cp, i) => h.launch(shortSpec(`spaced-${i}`, cp, { seconds: 3600, firstInSeconds: 4, cycles: 1 }))));
    await eventually(
      async () => (await h.control.charges()).filter((c) => permissions.includes(c.chargePermissionId) && c.state === 'Captured').length,
      (n) => n === permissions.length,
      { timeoutMs: 90_000, what: '24 captured charges' },
    );
    const { counts } = await h.control.attempts();
    expect(counts).toEqual({ Created: 24 });
  });
});
