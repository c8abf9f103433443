// Idle cost: what a sleeping subscription costs — Temporal persistence (the dev server's SQLite
// file, or the cluster's persistence and visibility databases), the daemon's PostgreSQL database
// and worker memory, at K checkpoints of N (the subscriptions imported in K batches, each
// measured once asleep: memory should stay flat in N); the start rate of subscriptions through
// the admin CLI's `billing import` (launchSubscription directly if the CLI fails); and the
// IPN-to-cancel latency for sleeping subscriptions whose buyer closes the Charge Permission.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDb } from '../db/client.js';
import { connectClient, createPermissions, launchAll, launchContext, yearlySpec, type LaunchFigures } from './launch.js';
import { PhaseMeter, type PhaseFigures } from './meters.js';
import { mib, round, sampleProcess } from './proc-stats.js';
import type { BenchStack } from './stack.js';
import { bytesPerSubscription, storageBytes, type StorageBytes } from './storage.js';
import { runBillingImport, spawnWorker, stackWorkerOptions, type WorkerSpawnOptions, type WorkerTuning } from './worker-process.js';
import { percentiles, type Percentiles } from './ledger-check.js';

export interface IdleOptions {
  subscriptions: number;
  launchConcurrency: number;
  /** Sleeping subscriptions whose Charge Permission is closed afterwards (IPN-to-cancel latency). */
  ipnCancels: number;
  /** Import in this many equal batches, measuring after each once all are asleep (default 1). */
  checkpoints?: number;
  say: (line: string) => void;
}

/** After a batch: every subscription so far asleep. */
export interface IdleCheckpoint {
  subscriptions: number;
  /** This batch's `billing import` wall time (CLI start-up included). */
  importSeconds: number;
  /** From this batch's first start until every subscription so far had written its next billing date. */
  asleepAfterSeconds: number | null;
  workerRssMiB: number;
  storage: StorageBytes;
  /** Growth since before the first batch ÷ subscriptions so far. */
  perSubscription: StorageBytes;
}

export interface IdleResult {
  scenario: 'idle';
  /** Absent in results from before 2026-11-30: the dev server. */
  temporal?: 'dev' | 'cluster';
  subscriptions: number;
  startRate: LaunchFigures & { method: 'billing import (CLI process)' | 'launchSubscription (in-process)'; note: string | null };
  ipnToCancel: { closed: number; canceled: number; latencySeconds: Percentiles; closeRatePerSecond: number } | null;
  /** Seconds from the first start until every workflow had written its next billing date. */
  allSleepingAfterSeconds: number | null;
  temporalSqliteBytes: { before: number; after: number };
  postgresDatabaseBytes: { before: number; after: number };
  workerRssMiB: { idleBefore: number; afterAllSleeping: number };
  /** temporalBytes: the SQLite file on the dev server, persistence + visibility databases on the cluster. */
  perSubscription: { temporalBytes: number; postgresBytes: number; workerRssBytes: number };
  /** Each store before and after, and per subscription. */
  storage?: { before: StorageBytes; after: StorageBytes; perSubscription: StorageBytes };
  checkpoints?: IdleCheckpoint[];
  workerTuning: WorkerTuning;
  resources: PhaseFigures;
}

export async function runIdle(stack: BenchStack, options: IdleOptions): Promise<IdleResult> {
  const { say } = options;
  const n = options.subscriptions;
  const tag = `idle-${randomBytes(3).toString('hex')}`;
  const tuning: WorkerTuning = {
    taskQueues: { workflows: `${tag}-wf`, charges: `${tag}-charges`, amazonReads: `${tag}-reads` },
    maxCachedWorkflows: 500,
    maxConcurrentWorkflowTaskExecutions: 40,
    maxConcurrentActivityTaskExecutions: 100,
    createChargePerSecond: 4,
    amazonReadsPerSecond: 4,
  };
  const databaseName = tag.replace(/-/g, '_');
  const databaseUrl = await stack.createDatabase(databaseName);
  const database = createDb(databaseUrl, { max: 10 });
  const bench = await connectClient(stack.temporal.address);
  say(`[idle] creating ${n} Charge Permissions`);
  const permissions = await createPermissions(stack.control, n);
  const spawnOptions: WorkerSpawnOptions = {
    ...(await stackWorkerOptions(stack, databaseUrl, tuning)),
    onOutput: (line) => say(`[worker] ${line.slice(0, 300)}`),
  };
  const worker = await spawnWorker(spawnOptions);
  try {
    await worker.ready();
    const rssNow = (): number => (worker.pid === undefined ? 0 : (sampleProcess(worker.pid)?.rssBytes ?? 0));
    const before = await storageBytes(stack, databaseName);
    const rssBefore = rssNow();
    const meter = new PhaseMeter(
      () => worker.pid,
      () => stack.temporal.process.pid,
      stack.workDir,
    ).start();
    // Billing a year away: every subscription sleeps on a timer for the whole measurement.
    const anchorMs = Math.ceil((Date.now() + 365 * 86_400_000) / 1000) * 1000;
    const anchorLocal = new Date(anchorMs).toISOString().slice(0, 16);
    const concurrency = Math.min(32, options.launchConcurrency);
    const batches = Math.max(1, Math.min(options.checkpoints ?? 1, n));
    const started = Date.now();
    const checkpoints: IdleCheckpoint[] = [];
    let importMs = 0;
    let fallback: string | null = null;
    let allSleepingAfterSeconds: number | null = null;
    for (let b = 0; b < batches; b++) {
      const from = Math.floor((n * b) / batches);
      const to = Math.floor((n * (b + 1)) / batches);
      const batchStarted = Date.now();
      say(`[idle] starting subscriptions ${from + 1}–${to} of ${n}, due in a year`);
      const csvPath = join(stack.workDir, `${tag}-${b}.csv`);
      await writeFile(
        csvPath,
        [
          'id,charge_permission_id,amount_minor,currency,interval,anchor,zone',
          ...permissions.slice(from, to).map((cp, i) => `${tag}-${from + i},${cp},1000,USD,year,${anchorLocal},UTC`),
        ].join('\n') + '\n',
      );
      const imported: Awaited<ReturnType<typeof runBillingImport>> | null =
        fallback === null ? await runBillingImport(spawnOptions, csvPath, concurrency) : null;
      if (imported?.exitCode === 0) importMs += imported.wallMs;
      else {
        if (imported) {
          say(`[idle] billing import failed (exit ${imported.exitCode}): ${imported.output.slice(-400)}; starting through launchSubscription`);
          fallback = `billing import exited ${imported.exitCode}`;
        }
        const ctx = launchContext(database.db, bench.client, tuning.taskQueues);
        const figures = await launchAll(
          ctx,
          permissions.slice(from, to).map((cp, i) => yearlySpec(`${tag}-${from + i}`, cp, anchorMs)),
          options.launchConcurrency,
          (done) => say(`[idle]   ${from + done} started`),
        );
        importMs += figures.elapsedMs;
      }
      // Asleep = the workflow wrote its next billing date (its last step before the timer).
      let sleeping = 0;
      let asleepAfterSeconds: number | null = null;
      const deadline = Date.now() + 300_000 + (to - from) * 20;
      while (Date.now() < deadline) {
        sleeping = (await database.sql<{ n: number }[]>`select count(*)::int as n from subscriptions where next_billing_at is not null`)[0]?.n ?? 0;
        if (sleeping >= to) {
          asleepAfterSeconds = round((Date.now() - batchStarted) / 1000, 1);
          break;
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
      if (asleepAfterSeconds === null) say(`[idle] only ${sleeping}/${to} asleep by the deadline`);
      else if (b === batches - 1) allSleepingAfterSeconds = round((Date.now() - started) / 1000, 1);
      const storage = await storageBytes(stack, databaseName);
      checkpoints.push({
        subscriptions: to,
        importSeconds: round((imported?.exitCode === 0 ? imported.wallMs : 0) / 1000, 1),
        asleepAfterSeconds,
        workerRssMiB: mib(rssNow()),
        storage,
        perSubscription: bytesPerSubscription(before, storage, to),
      });
      const c = checkpoints.at(-1)!;
      say(`[idle] ${to} asleep: worker RSS ${c.workerRssMiB} MiB, bytes per subscription ${JSON.stringify(c.perSubscription)}`);
    }
    const startRate: IdleResult['startRate'] =
      fallback === null
        ? {
            count: n,
            concurrency,
            elapsedMs: importMs,
            perSecond: round((n / importMs) * 1000, 1),
            method: 'billing import (CLI process)',
            note: `wall time of the CLI process${batches > 1 ? `es (${batches} batches)` : ''}, start-up included; each row also calls Get Charge Permission (unthrottled here)`,
          }
        : {
            count: n,
            concurrency: options.launchConcurrency,
            elapsedMs: importMs,
            perSecond: round((n / importMs) * 1000, 1),
            method: 'launchSubscription (in-process)',
            note: fallback,
          };
    const resources = meter.stop();
    const after = checkpoints.at(-1)?.storage ?? (await storageBytes(stack, databaseName));
    const rssAfter = rssNow();
    const temporalBytes = (x: StorageBytes): number => x.temporalSqlite ?? (x.temporalPersistenceDb ?? 0) + (x.temporalVisibilityDb ?? 0);
    const ipnToCancel = await measureIpnToCancel(stack, database, worker.ipnUrl, permissions.slice(0, options.ipnCancels), say);
    return {
      scenario: 'idle',
      temporal: stack.temporalKind,
      subscriptions: n,
      startRate,
      ipnToCancel,
      allSleepingAfterSeconds,
      temporalSqliteBytes: { before: before.temporalSqlite ?? 0, after: after.temporalSqlite ?? 0 },
      postgresDatabaseBytes: { before: before.daemonDb, after: after.daemonDb },
      workerRssMiB: { idleBefore: mib(rssBefore), afterAllSleeping: mib(rssAfter) },
      perSubscription: {
        temporalBytes: Math.round((temporalBytes(after) - temporalBytes(before)) / n),
        postgresBytes: Math.round((after.daemonDb - before.daemonDb) / n),
        workerRssBytes: Math.round((rssAfter - rssBefore) / n),
      },
      storage: { before, after, perSubscription: bytesPerSubscription(before, after, n) },
      checkpoints,
      workerTuning: tuning,
      resources,
    };
  } finally {
    await worker.stop();
    await bench.close();
    await database.close();
  }
}

/**
 * Buyers close `permissions` (5 a second); the simulator sends each CHARGE_PERMISSION IPN to the
 * daemon, whose reaction cancels the subscription. Latency: close → subscriptions.ended_at.
 */
async function measureIpnToCancel(
  stack: BenchStack,
  database: ReturnType<typeof createDb>,
  ipnUrl: string,
  permissions: string[],
  say: (line: string) => void,
): Promise<IdleResult['ipnToCancel']> {
  if (permissions.length === 0) return null;
  await stack.control.setIpn({ url: ipnUrl, suppressSynchronous: true, retryScheduleMs: [1_000, 2_000, 5_000, 10_000] });
  const closedAt = new Map<string, number>();
  const started = Date.now();
  for (const [i, cp] of permissions.entries()) {
    await new Promise((r) => setTimeout(r, Math.max(0, started + i * 200 - Date.now())));
    await stack.control.closeChargePermission(cp, 'buyer');
    // The simulator's timestamps have whole seconds; the close is committed when the call answers.
    closedAt.set(cp, Date.now());
  }
  const closeRatePerSecond = round((permissions.length / (Date.now() - started)) * 1000, 1);
  const deadline = Date.now() + 120_000;
  let rows: { charge_permission_id: string; ended_at: Date | null }[] = [];
  while (Date.now() < deadline) {
    rows = await database.sql<{ charge_permission_id: string; ended_at: Date | null }[]>`
      select charge_permission_id, ended_at from subscriptions where status = 'canceled' and charge_permission_id in ${database.sql(permissions)}`;
    if (rows.length >= permissions.length) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await stack.control.setIpn({ url: null });
  if (rows.length < permissions.length) say(`[idle] only ${rows.length}/${permissions.length} subscriptions canceled after their IPN`);
  const p = percentiles(
    rows.filter((r) => r.ended_at).map((r) => (new Date(r.ended_at as Date).getTime() - (closedAt.get(r.charge_permission_id) ?? 0)) / 1000),
  );
  return {
    closed: permissions.length,
    canceled: rows.length,
    latencySeconds: { p50: round(p.p50, 2), p95: round(p.p95, 2), p99: round(p.p99, 2), max: round(p.max, 2) },
    closeRatePerSecond,
  };
}
