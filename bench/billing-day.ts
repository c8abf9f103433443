// The billing day: N subscriptions all due at the same instant T0, charged by the product's
// worker process under a Create Charge quota (or none, for the engine-throughput figure).
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createDb } from '../db/client.js';
import { freePort } from '../devstack/ports.js';
import { NO_FAULTS, type FaultConfig } from '../simulator/faults.js';
import { checkBillingDay, percentiles, summariseAttempts, type BillingDayCheck, type Percentiles } from './ledger-check.js';
import { connectClient, createPermissions, launchAll, launchContext, yearlySpec, type LaunchFigures } from './launch.js';
import { PhaseMeter, type PhaseFigures } from './meters.js';
import { round } from './proc-stats.js';
import type { BenchStack } from './stack.js';
import { spawnWorker, type WorkerTuning } from './worker-process.js';

export interface Quota {
  burst: number;
  ratePerSecond: number;
}

export interface BillingDayOptions {
  name: string;
  subscriptions: number;
  /** null: the simulator does not throttle and the daemon's cap is `uncappedRate`. */
  quota: Quota | null;
  uncappedRate?: number;
  faults?: Partial<FaultConfig>;
  launchConcurrency: number;
  /** Seconds from now to T0; default estimated from N so every workflow sleeps before T0. */
  leadSeconds?: number;
  tuning?: Partial<Omit<WorkerTuning, 'taskQueues' | 'createChargePerSecond'>>;
  say: (line: string) => void;
}

export interface BillingDayResult {
  scenario: string;
  subscriptions: number;
  quota: Quota | null;
  daemonRateLimitPerSecond: number;
  faults: Partial<FaultConfig>;
  workerTuning: WorkerTuning;
  launch: LaunchFigures & { finishedBeforeT0Seconds: number };
  /** (N − burst) / rate: the quota-limited floor; null without a quota. */
  idealSeconds: number | null;
  /** idealSeconds / lastChargeAfterT0Seconds. */
  fractionOfIdeal: number | null;
  cyclesPerSecond: number;
  ledger: BillingDayCheck;
  database: { paidRowsWithChargeId: number; chargeIdsMatchSimulator: boolean; subscriptionsEnded: number; allEndedAfterT0Seconds: number | null };
  createChargeAttempts: { total: number; throttled429: number; byOutcome: Record<string, number> };
  /** Where a cycle's time goes, from the DB ledger (seconds): T0 → activity started, the Create Charge call, → workflow ended. */
  breakdownSeconds: { dueToActivityStart: Percentiles; createChargeCall: Percentiles; chargeToWorkflowEnd: Percentiles } | null;
  /** From worker start (launch included) to the end. */
  resources: PhaseFigures;
  /** From T0 to the end: the charging alone. */
  resourcesFromT0: PhaseFigures;
  workerStartSeconds: number;
}

export async function runBillingDay(stack: BenchStack, options: BillingDayOptions): Promise<BillingDayResult> {
  const { say, quota } = options;
  const n = options.subscriptions;
  const rate = quota ? quota.ratePerSecond : (options.uncappedRate ?? 10_000);
  const tag = `${options.name}-${randomBytes(3).toString('hex')}`;
  const tuning: WorkerTuning = {
    taskQueues: { workflows: `${tag}-wf`, charges: `${tag}-charges`, amazonReads: `${tag}-reads` },
    maxCachedWorkflows: 500,
    maxConcurrentWorkflowTaskExecutions: 40,
    maxConcurrentActivityTaskExecutions: 100,
    amazonReadsPerSecond: 50,
    ...options.tuning,
    createChargePerSecond: rate,
  };
  await stack.control.setThrottle(quota ? { table: 'off', overrides: { createCharge: quota } } : { table: 'off', overrides: {} });
  await stack.control.setFaults({ ...NO_FAULTS, ...options.faults });

  const databaseUrl = await stack.createDatabase(tag.replace(/-/g, '_'));
  const database = createDb(databaseUrl, { max: 10 });
  const bench = await connectClient(stack.temporal.address);
  say(`[${options.name}] creating ${n} Charge Permissions`);
  const permissions = await createPermissions(stack.control, n);

  const worker = await spawnWorker({
    workDir: stack.workDir,
    temporalAddress: () => stack.temporal.address,
    databaseUrl,
    simulatorUrl: stack.simulator.url,
    key: stack.key,
    ipnPublicKeyPem: stack.simulator.ipnSigningPublicKeyPem,
    ports: { ipn: await freePort(), operations: await freePort() },
    tuning,
    onOutput: (line) => say(`[worker] ${line.slice(0, 300)}`),
  });
  try {
    const workerStartMs = await worker.ready();
    const meter = new PhaseMeter(() => worker.pid, () => stack.temporal.process.pid, stack.workDir).start();
    // T0 leaves time to start every workflow and let it reach its timer (measured ≈ 60 starts/s on 2 busy cores).
    const leadSeconds = options.leadSeconds ?? Math.ceil(20 + n / 45);
    const t0Ms = Math.ceil((Date.now() + leadSeconds * 1000) / 1000) * 1000;
    say(`[${options.name}] starting ${n} subscriptions due at T0 = ${new Date(t0Ms).toISOString()} (in ${leadSeconds} s)`);
    const ctx = launchContext(database.db, bench.client, tuning.taskQueues);
    const launch = await launchAll(ctx, permissions.map((cp, i) => yearlySpec(`${tag}-${i}`, cp, t0Ms, 1)), options.launchConcurrency, (done) => say(`[${options.name}]   ${done} started`));
    const finishedBeforeT0Seconds = round((t0Ms - Date.now()) / 1000, 1);
    say(`[${options.name}] started ${n} in ${round(launch.elapsedMs / 1000, 1)} s (${launch.perSecond}/s); T0 in ${finishedBeforeT0Seconds} s`);
    if (finishedBeforeT0Seconds < 0) say(`[${options.name}] WARNING: starting took longer than the lead; late starts are charged at once (pass --lead-seconds)`);

    await new Promise((r) => setTimeout(r, Math.max(0, t0Ms - Date.now())));
    const fromT0 = new PhaseMeter(() => worker.pid, () => stack.temporal.process.pid, stack.workDir).start();
    // Bounded wait: every subscription ended (cycle 0 charged, term complete), or the deadline.
    const idealSeconds = quota ? Math.max(0, (n - quota.burst) / quota.ratePerSecond) : null;
    const deadlineMs = t0Ms + 1000 * Math.max(300, 3 * (idealSeconds ?? n / 10) + 120);
    let ended = 0;
    let lastReport = 0;
    while (Date.now() < deadlineMs) {
      const rows = await database.sql<{ ended: number }[]>`select count(*)::int as ended from subscriptions where status = 'ended'`;
      ended = rows[0]?.ended ?? 0;
      if (ended >= n) break;
      if (Date.now() - lastReport > 10_000 && Date.now() > t0Ms) {
        lastReport = Date.now();
        say(`[${options.name}]   ${ended}/${n} cycles done, T0 + ${round((Date.now() - t0Ms) / 1000, 0)} s`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const resourcesFromT0 = fromT0.stop();
    const resources = meter.stop();
    if (ended < n) say(`[${options.name}] deadline passed with ${n - ended} subscriptions not ended`);

    const due = new Set(permissions);
    const ledger = (await stack.control.charges()).filter((c) => due.has(c.chargePermissionId));
    const check = checkBillingDay(ledger, permissions, t0Ms);
    const attemptCounts: Record<string, number> = {};
    for (const a of (await stack.control.attempts()).attempts) {
      if (a.chargePermissionId && due.has(a.chargePermissionId)) attemptCounts[a.outcome] = (attemptCounts[a.outcome] ?? 0) + 1;
    }
    const db = await databaseFigures(database, ledger.map((c) => c.chargeId), t0Ms);
    const result: BillingDayResult = {
      scenario: options.name,
      subscriptions: n,
      quota,
      daemonRateLimitPerSecond: rate,
      faults: options.faults ?? {},
      workerTuning: tuning,
      launch: { ...launch, finishedBeforeT0Seconds },
      idealSeconds: idealSeconds === null ? null : round(idealSeconds, 1),
      fractionOfIdeal: idealSeconds === null || check.lastChargeAfterT0Seconds <= 0 ? null : round(idealSeconds / check.lastChargeAfterT0Seconds, 3),
      cyclesPerSecond: check.lastChargeAfterT0Seconds > 0 ? round(check.charged / check.lastChargeAfterT0Seconds, 1) : 0,
      ledger: check,
      database: db.summary,
      createChargeAttempts: summariseAttempts(attemptCounts),
      breakdownSeconds: db.breakdown,
      resources,
      resourcesFromT0,
      workerStartSeconds: round(workerStartMs / 1000, 1),
    };
    return result;
  } finally {
    await worker.stop();
    await bench.close();
    await database.close();
  }
}

async function databaseFigures(database: ReturnType<typeof createDb>, simulatorChargeIds: string[], t0Ms: number) {
  const rows = await database.db.execute<{ charge_id: string | null; requested_at: Date; completed_at: Date | null; ended_at: Date | null }>(sql`
    select c.charge_id, c.requested_at, c.completed_at, s.ended_at
    from charges c join subscriptions s on s.id = c.subscription_id
    where c.state in ('Captured', 'Authorized', 'CaptureInitiated')`);
  const list = [...rows];
  const ended = await database.sql<{ n: number; last: Date | null }[]>`select count(*)::int as n, max(ended_at) as last from subscriptions where status = 'ended'`;
  const ids = new Set(list.map((r) => r.charge_id).filter((id): id is string => id !== null));
  const sim = new Set(simulatorChargeIds);
  const t = (d: Date | string | null): number => (d === null ? NaN : new Date(d).getTime());
  const seconds = (xs: number[]): Percentiles => {
    const p = percentiles(xs.filter((x) => Number.isFinite(x)).map((x) => x / 1000));
    return { p50: round(p.p50, 2), p95: round(p.p95, 2), p99: round(p.p99, 2), max: round(p.max, 2) };
  };
  const last = ended[0]?.last ?? null;
  return {
    summary: {
      paidRowsWithChargeId: ids.size,
      chargeIdsMatchSimulator: ids.size === sim.size && [...sim].every((id) => ids.has(id)),
      subscriptionsEnded: ended[0]?.n ?? 0,
      allEndedAfterT0Seconds: last === null ? null : round((t(last) - t0Ms) / 1000, 1),
    },
    breakdown:
      list.length === 0
        ? null
        : {
            dueToActivityStart: seconds(list.map((r) => t(r.requested_at) - t0Ms)),
            createChargeCall: seconds(list.map((r) => t(r.completed_at) - t(r.requested_at))),
            chargeToWorkflowEnd: seconds(list.map((r) => t(r.ended_at) - t(r.completed_at))),
          },
  };
}
