import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInboxRows } from '../../db/queries/ipn-inbox.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import type { Daemon } from '../../daemon/run.js';
import type { HousekeepingJobName } from '../../daemon/housekeeping/jobs.js';
import { eventually } from '../support/billing-harness.js';
import { createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { connectTestTemporal, idleSpec, launcher, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';

async function metric(daemon: Daemon, line: RegExp): Promise<number> {
  const text = await daemon.metrics.registry.metrics();
  return text
    .split('\n')
    .filter((l) => line.test(l))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('two daemon replicas on one database and one Temporal server', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let a: Daemon;
  let b: Daemon;
  let fanOut: Server;
  const taskQueues = uniqueTaskQueues();

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    sim = await startTestSimulator({ seed: 3 });
    const signature = { mode: 'trusted-key' as const, publicKeyPem: sim.simulator.ipnSigningPublicKeyPem };
    // Every second for inboxRetry, so both replicas' cron triggers compete for real ticks; the others never fire on their own.
    const housekeeping = { inboxRetry: '* * * * * *', reconcile: '0 0 1 1 *', drift: '0 0 1 1 *', prune: '0 0 1 1 *' };
    [a, b] = await Promise.all([
      startTestDaemon({ database, taskQueues, amazonPay: sim.amazonPay, signature, replica: 'replica-a', scheduleHousekeeping: true, housekeeping }),
      startTestDaemon({ database, taskQueues, amazonPay: sim.amazonPay, signature, replica: 'replica-b', scheduleHousekeeping: true, housekeeping }),
    ]);
    // A load balancer gone wrong: every delivery reaches both replicas at once.
    fanOut = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers = { 'content-type': req.headers['content-type'] ?? 'text/plain' };
        void Promise.all([a, b].map((d) => fetch(d.ipnUrl, { method: 'POST', headers, body }).then((r) => r.status))).then(
          (statuses) => {
            res.writeHead(statuses.every((s) => s === 200) ? 200 : 503);
            res.end();
          },
          () => {
            res.writeHead(503);
            res.end();
          },
        );
      });
    });
    await new Promise<void>((resolve) => fanOut.listen(0, '127.0.0.1', resolve));
    await sim.control.setIpn({ url: `http://127.0.0.1:${(fanOut.address() as AddressInfo).port}/ipn`, retryScheduleMs: [500, 1_000] });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (fanOut ? fanOut.close(() => resolve()) : resolve()));
    await Promise.all([a?.shutdown(), b?.shutdown()]);
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  it('an IPN delivered to both replicas is stored once and handled once', async () => {
    const launch = launcher(database, temporal, taskQueues);
    const cps: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
      cps.push(chargePermission.chargePermissionId);
      await launch(idleSpec(`sub-rep-${i}`, chargePermission.chargePermissionId));
    }
    for (const cp of cps) await sim.control.closeChargePermission(cp, 'buyer');
    for (let i = 0; i < 3; i++) {
      const row = await eventually(
        () => getSubscription(database.db, `sub-rep-${i}`),
        (r) => r?.status === 'canceled',
        { timeoutMs: 30_000, what: `sub-rep-${i} canceled` },
      );
      expect(row?.statusReason).toBe('BuyerClosed');
    }
    await eventually(
      async () => (await listInboxRows(database.db)).filter((r) => cps.includes(r.chargePermissionId ?? '')),
      (rs) => rs.length === 3 && rs.every((r) => r.status === 'processed'),
      { timeoutMs: 20_000, what: 'three processed inbox rows' },
    );
    // (Three rows with three MessageIds is what the inbox's unique index guarantees; that each
    // delivery was stored by one replica and refused as a duplicate by the other is counted here.)
    const stored = (await metric(a, /^billing_ipn_received_total\{result="stored"\}/)) + (await metric(b, /^billing_ipn_received_total\{result="stored"\}/));
    const duplicates =
      (await metric(a, /^billing_ipn_received_total\{result="duplicate"\}/)) + (await metric(b, /^billing_ipn_received_total\{result="duplicate"\}/));
    expect(stored).toBe(3);
    expect(duplicates).toBe(3);
    const settled =
      (await metric(a, /^billing_ipn_settled_total\{status="processed"\}/)) + (await metric(b, /^billing_ipn_settled_total\{status="processed"\}/));
    expect(settled).toBe(3);
  });

  it('each housekeeping job runs once per tick however many replicas fire it', async () => {
    const jobs: HousekeepingJobName[] = ['inboxRetry', 'reconcile', 'drift', 'prune'];
    for (let t = 0; t < 3; t++) {
      const tick = new Date(Date.UTC(2000, 0, 1, 0, 0, t));
      for (const job of jobs) {
        // The replicas' own cron runs the same jobs every second; while one of those holds the
        // job's lock, all three triggers skip as 'locked' and the tick is fired again (bounded).
        let ranOnce = false;
        for (let attempt = 0; attempt < 50 && !ranOnce; attempt++) {
          const outcomes = await Promise.all([a.housekeeping.trigger(job, tick), b.housekeeping.trigger(job, tick), a.housekeeping.trigger(job, tick)]);
          const ran = outcomes.filter((o) => o.ran);
          expect(ran.length, `${job} at ${tick.toISOString()}`).toBeLessThanOrEqual(1);
          ranOnce = ran.length === 1;
          if (!ranOnce) {
            expect(
              outcomes.every((o) => !o.ran && o.reason === 'locked'),
              `${job} at ${tick.toISOString()}: skipped for another reason than a held lock`,
            ).toBe(true);
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        expect(ranOnce, `${job} at ${tick.toISOString()} ran on one replica`).toBe(true);
        // A replica firing the same tick after it ran (no lock held then) finds it already run.
        const late = await b.housekeeping.trigger(job, tick);
        if (!late.ran && late.reason === 'locked') continue; // a cron run of this job holds the lock right now
        expect(late, `${job} at ${tick.toISOString()} fired late on another replica`).toMatchObject({ ran: false, reason: 'tick already run' });
      }
    }
    // The real cron triggers, firing every second on both replicas.
    const firstTick = new Date(Math.ceil(Date.now() / 1000) * 1000);
    await eventually(
      async () =>
        Number(
          (
            await database.db.execute<{ n: string }>(
              sql`select count(*) as n from housekeeping_runs where job = 'inboxRetry' and tick >= ${firstTick.toISOString()}::timestamptz`,
            )
          )[0]?.n ?? 0,
        ),
      (n) => n >= 3,
      { timeoutMs: 20_000, what: 'three cron ticks of inboxRetry' },
    );
    // Simulator and daemons share this host's clock: the learned offset is under the Date header's second.
    const offset = /^billing_amazon_clock_offset_seconds (\S+)$/m.exec(await a.metrics.registry.metrics());
    expect(offset, 'billing_amazon_clock_offset_seconds on /metrics').not.toBeNull();
    expect(Math.abs(Number(offset![1]))).toBeLessThan(1.5);
    const ranOnReplicas = async () =>
      (await metric(a, /^billing_housekeeping_runs_total\{job="inboxRetry",result="ran"\}/)) +
      (await metric(b, /^billing_housekeeping_runs_total\{job="inboxRetry",result="ran"\}/));
    const skipped =
      (await metric(a, /^billing_housekeeping_runs_total\{job="inboxRetry",result="skipped"\}/)) +
      (await metric(b, /^billing_housekeeping_runs_total\{job="inboxRetry",result="skipped"\}/));
    // One row per (job, tick) is the primary key's guarantee, not the replicas': what can fail is a
    // replica running a tick another already claimed, a 'ran' without a row of its own. The crons
    // keep firing, so the rows are read between two readings of the counters (a row is written
    // when a run starts, counted when it ends; at most one run per replica is in flight).
    const ranBefore = await ranOnReplicas();
    const rows = Number((await database.db.execute<{ n: string }>(sql`select count(*) as n from housekeeping_runs where job = 'inboxRetry'`))[0]?.n);
    const ranAfter = await ranOnReplicas();
    expect(ranBefore).toBeLessThanOrEqual(rows);
    expect(rows).toBeLessThanOrEqual(ranAfter + 2);
    // The direct triggers above skipped 6 times.
    expect(skipped).toBeGreaterThanOrEqual(6);
  });
});
