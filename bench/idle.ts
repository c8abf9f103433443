// Idle cost: what a sleeping subscription costs — Temporal persistence (the dev server's SQLite
// file), PostgreSQL and worker memory; the start rate of subscriptions through the admin CLI's
// `billing import` (launchSubscription directly if the CLI fails); and the IPN-to-cancel latency
// for sleeping subscriptions whose buyer closes the Charge Permission.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDb } from '../db/client.js';
import { freePort } from '../devstack/ports.js';
import { connectClient, createPermissions, launchAll, launchContext, yearlySpec, type LaunchFigures } from './launch.js';
import { PhaseMeter, type PhaseFigures } from './meters.js';
import { mib, round, sampleProcess } from './proc-stats.js';
import type { BenchStack } from './stack.js';
import { runBillingImport, spawnWorker, type WorkerSpawnOptions, type WorkerTuning } from './worker-process.js';
import { percentiles, type Percentiles } from './ledger-check.js';

export interface IdleOptions {
  subscriptions: number;
  launchConcurrency: number;
  /** Sleeping subscriptions whose Charge Permission is closed afterwards (IPN-to-cancel latency). */
  ipnCancels: number;
  say: (line: string) => void;
}

export interface IdleResult {
  scenario: 'idle';
  subscriptions: number;
  startRate: LaunchFigures & { method: 'billing import (CLI process)' | 'launchSubscription (in-process)'; note: string | null };
  ipnToCancel: { closed: number; canceled: number; latencySeconds: Percentiles; closeRatePerSecond: number } | null;
  /** Seconds from the first start until every workflow had written its next billing date. */
  allSleepingAfterSeconds: number | null;
  temporalSqliteBytes: { before: number; after: number };
  postgresDatabaseBytes: { before: number; after: number };
  workerRssMiB: { idleBefore: number; afterAllSleeping: number };
  perSubscription: { temporalBytes: number; postgresBytes: number; workerRssBytes: number };
  workerTuning: WorkerTuning;
  resources: PhaseFigures;
}

/** SQLite file plus its write-ahead log: what the dev server has on disk. */
function sqliteBytes(file: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(file + suffix).size;
    } catch {
      // absent
    }
  }
  return total;
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
  const databaseUrl = await stack.createDatabase(tag.replace(/-/g, '_'));
  const database = createDb(databaseUrl, { max: 10 });
  const bench = await connectClient(stack.temporal.address);
  say(`[idle] creating ${n} Charge Permissions`);
  const permissions = await createPermissions(stack.control, n);
  const spawnOptions: WorkerSpawnOptions = {
    workDir: stack.workDir,
    temporalAddress: () => stack.temporal.address,
    databaseUrl,
    simulatorUrl: stack.simulator.url,
    key: stack.key,
    ipnPublicKeyPem: stack.simulator.ipnSigningPublicKeyPem,
    ports: { ipn: await freePort(), operations: await freePort() },
    tuning,
    onOutput: (line) => say(`[worker] ${line.slice(0, 300)}`),
  };
  const worker = await spawnWorker(spawnOptions);
  try {
    await worker.ready();
    const pgSize = async (): Promise<number> =>
      Number((await database.sql<{ size: string }[]>`select pg_database_size(current_database())::text as size`)[0]?.size ?? 0);
    const rssNow = (): number => (worker.pid === undefined ? 0 : (sampleProcess(worker.pid)?.rssBytes ?? 0));
    const sqliteBefore = sqliteBytes(stack.temporalDbFile);
    const pgBefore = await pgSize();
    const rssBefore = rssNow();
    const meter = new PhaseMeter(
      () => worker.pid,
      () => stack.temporal.process.pid,
      stack.workDir,
    ).start();
    // Billing a year away: every subscription sleeps on a timer for the whole measurement.
    const anchorMs = Math.ceil((Date.now() + 365 * 86_400_000) / 1000) * 1000;
    const started = Date.now();
    say(`[idle] starting ${n} subscriptions due in a year`);
    const anchorLocal = new Date(anchorMs).toISOString().slice(0, 16);
    const csvPath = join(stack.workDir, `${tag}.csv`);
    await writeFile(
      csvPath,
      [
        'id,charge_permission_id,amount_minor,currency,interval,anchor,zone',
        ...permissions.map((cp, i) => `${tag}-${i},${cp},1000,USD,year,${anchorLocal},UTC`),
      ].join('\n') + '\n',
    );
    const imported = await runBillingImport(spawnOptions, csvPath, Math.min(32, options.launchConcurrency));
    let startRate: IdleResult['startRate'];
    if (imported.exitCode === 0) {
      startRate = {
        count: n,
        concurrency: Math.min(32, options.launchConcurrency),
        elapsedMs: imported.wallMs,
        perSecond: round((n / imported.wallMs) * 1000, 1),
        method: 'billing import (CLI process)',
        note: 'wall time of the CLI process, start-up included; each row also calls Get Charge Permission (unthrottled here)',
      };
    } else {
      say(`[idle] billing import failed (exit ${imported.exitCode}): ${imported.output.slice(-400)}; starting through launchSubscription`);
      const ctx = launchContext(database.db, bench.client, tuning.taskQueues);
      const figures = await launchAll(
        ctx,
        permissions.map((cp, i) => yearlySpec(`${tag}-${i}`, cp, anchorMs)),
        options.launchConcurrency,
        (done) => say(`[idle]   ${done} started`),
      );
      startRate = { ...figures, method: 'launchSubscription (in-process)', note: `billing import exited ${imported.exitCode}` };
    }
    // Asleep = the workflow wrote its next billing date (its last step before the timer).
    let sleeping = 0;
    let allSleepingAfterSeconds: number | null = null;
    const deadline = Date.now() + 300_000 + n * 20;
    while (Date.now() < deadline) {
      sleeping = (await database.sql<{ n: number }[]>`select count(*)::int as n from subscriptions where next_billing_at is not null`)[0]?.n ?? 0;
      if (sleeping >= n) {
        allSleepingAfterSeconds = round((Date.now() - started) / 1000, 1);
        break;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    if (allSleepingAfterSeconds === null) say(`[idle] only ${sleeping}/${n} asleep by the deadline`);
    const resources = meter.stop();
    const sqliteAfter = sqliteBytes(stack.temporalDbFile);
    const pgAfter = await pgSize();
    const rssAfter = rssNow();
    const ipnToCancel = await measureIpnToCancel(stack, database, worker.ipnUrl, permissions.slice(0, options.ipnCancels), say);
    return {
      scenario: 'idle',
      subscriptions: n,
      startRate,
      ipnToCancel,
      allSleepingAfterSeconds,
      temporalSqliteBytes: { before: sqliteBefore, after: sqliteAfter },
      postgresDatabaseBytes: { before: pgBefore, after: pgAfter },
      workerRssMiB: { idleBefore: mib(rssBefore), afterAllSleeping: mib(rssAfter) },
      perSubscription: {
        temporalBytes: Math.round((sqliteAfter - sqliteBefore) / n),
        postgresBytes: Math.round((pgAfter - pgBefore) / n),
        workerRssBytes: Math.round((rssAfter - rssBefore) / n),
      },
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
