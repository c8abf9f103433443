// The billing day: N subscriptions all due at the same instant T0, charged by the product's
// worker process (or several daemon replicas, each its own process with its own ports, against
// the one Temporal and the one PostgreSQL) under a Create Charge quota (or none, for the
// engine-throughput figure).
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { describeChargeRate } from '../billing/capacity.js';
import { forecastCharges } from '../client/subscriptions/forecast.js';
import { sql, type SQL } from 'drizzle-orm';
import { PAID_CHARGE_STATES } from '../billing/vocabulary.js';
import { createDb, type Database } from '../db/client.js';
import { NO_FAULTS, type FaultConfig } from '../simulator/faults.js';
import { wakeUpBreakdown, type WakeUpBreakdown } from './history-breakdown.js';
import { checkBillingDay, percentiles, summariseAttempts, type BillingDayCheck, type Percentiles } from './ledger-check.js';
import { connectClient, createPermissions, launchAll, launchContext, yearlySpec, type LaunchFigures } from './launch.js';
import { PhaseMeter, type PhaseFigures } from './meters.js';
import { round } from './proc-stats.js';
import type { BenchStack } from './stack.js';
import { bytesPerSubscription, storageBytes, type StorageBytes } from './storage.js';
import type { BenchTemporal } from './topology.js';
import { spawnWorker, stackWorkerOptions, type WorkerProcess, type WorkerTuning } from './worker-process.js';

/** The ledger's paid states as an SQL list, from the one vocabulary. */
const paidStates = sql`(${sql.join(
  PAID_CHARGE_STATES.map((s) => sql`${s}`),
  sql`, `,
)})`;

export interface Quota {
  burst: number;
  ratePerSecond: number;
}

/** A scenario's own steps around the billing day (bench/events-cost.ts: webhook endpoints and their receivers). */
export interface BillingDayHooks {
  /** After every subscription is started, before T0 (e.g. register webhook endpoints). */
  beforeT0?(db: Database): Promise<void>;
  /** The measurement from T0 ends only once this is true too (or at the deadline), e.g. every event delivered. */
  done?(db: Database): Promise<boolean>;
  /** After the measurement, before the run's database is closed: read what the scenario reports. */
  afterWindow?(db: Database): Promise<void>;
  /** Further processes whose CPU is measured with the others (name → pid), in `cpuSeconds.others`. */
  processes?: Record<string, () => number | undefined>;
}

export interface BillingDayOptions {
  name: string;
  subscriptions: number;
  /** null: the simulator does not throttle and the daemon's cap is `uncappedRate`. */
  quota: Quota | null;
  uncappedRate?: number;
  faults?: Partial<FaultConfig>;
  launchConcurrency: number;
  /** Daemon processes (default 1), each its own worker process with its own IPN and operations ports. */
  replicas?: number;
  /** Seconds from now to T0; default estimated from N so every workflow sleeps before T0. */
  leadSeconds?: number;
  /**
   * renew: each subscription renews (a yearly plan, next due a year after T0), as on a real
   * billing day. end: each subscription's term is this one cycle, so every workflow also ends
   * (status write, close, visibility) in the rush.
   */
  afterCharge: 'renew' | 'end';
  tuning?: Partial<Omit<WorkerTuning, 'taskQueues' | 'createChargePerSecond'>>;
  /** billing.yaml `webhooks` keys for the daemon under test (default: billing.yaml's). */
  webhooks?: Record<string, unknown>;
  hooks?: BillingDayHooks;
  /**
   * Seconds to measure the processes for once the run is done (every workflow asleep for a year,
   * nothing polled by the bench): their idle CPU, in `resourcesIdleAfter`. Default 0: not measured.
   */
  idleAfterSeconds?: number;
  /** Workflow histories read after the run for the wake-up breakdown (default 200; 0: none, `wakeUp` is null). */
  historySample?: number;
  /**
   * A billing day of this many subscriptions first, in the same database and daemon and under the
   * same quota: its ledger is the evidence `billing forecast` learns the daemon's throughput from
   * (billing/capacity.ts) before the measured day. Default 0: none, the forecast has the quota alone.
   */
  priorDay?: number;
  say: (line: string) => void;
}

/** The prior billing day (BillingDayOptions.priorDay): when it was due and how it went. */
export interface PriorDayResult {
  subscriptions: number;
  t0: string;
  charged: number;
  lastChargeAfterT0Seconds: number | null;
  /** Charges per second from T0 to the last charge. */
  chargesPerSecond: number | null;
  /** Its subscriptions asleep (next billing date written) 1 s before its T0 (absent before 2026-11-30 21:20 UTC). */
  asleepAtT0?: number;
}

export interface BillingDayResult {
  scenario: string;
  /** Which Temporal and how many daemon processes (absent in results from before 2026-11-30: dev server, 1). */
  temporal?: { kind: BenchTemporal; replicas: number };
  subscriptions: number;
  quota: Quota | null;
  daemonRateLimitPerSecond: number;
  faults: Partial<FaultConfig>;
  workerTuning: WorkerTuning;
  /** asleepAtT0: the day's subscriptions whose workflow had written its next billing date 1 s before T0 (absent before 2026-11-30 21:20 UTC). */
  launch: LaunchFigures & { finishedBeforeT0Seconds: number; asleepAtT0?: number };
  /** (N − burst) / rate: the quota-limited floor; null without a quota. */
  idealSeconds: number | null;
  /**
   * `billing forecast` (client/subscriptions/forecast.ts) read from the database after the
   * launch, before T0, at the daemon's rate: its predicted last charge against the measured one.
   */
  forecast: {
    predictedLastChargeAfterT0Seconds: number;
    measuredOverPredicted: number | null;
    charges: number;
    /** The rate the forecast ran at (calls/s) and which limit that was, with its evidence (billing/capacity.ts describeChargeRate). */
    ratePerSecond: number;
    limitedBy: 'quota' | 'capacity';
    /** Seconds after its due time from which the forecast counts each charge (billing/capacity.ts wakeUpSeconds). */
    wakeUpSeconds: number;
    limit: string;
  } | null;
  /** The billing day run before this one as the forecast's evidence; null: none. */
  priorDay: PriorDayResult | null;
  /** idealSeconds / lastChargeAfterT0Seconds. */
  fractionOfIdeal: number | null;
  cyclesPerSecond: number;
  ledger: BillingDayCheck;
  afterCharge: 'renew' | 'end';
  database: { paidRowsWithChargeId: number; chargeIdsMatchSimulator: boolean; subscriptionsSettled: number; allSettledAfterT0Seconds: number | null };
  createChargeAttempts: { total: number; throttled429: number; byOutcome: Record<string, number> };
  /**
   * Where a cycle's time goes, from the DB ledger (seconds): T0 → activity started, the Create
   * Charge call, → the subscription row settled (renewed: next billing date written; end: ended).
   */
  breakdownSeconds: { dueToActivityStart: Percentiles; createChargeCall: Percentiles; chargeToSettled: Percentiles } | null;
  /** A sample of histories: did a late charge wait for its wake-up task or in the charges queue? */
  wakeUp: WakeUpBreakdown | null;
  /**
   * The stores from just before the launch to the end, every subscription then asleep until its
   * next cycle a year on (or ended): bytes, and bytes per subscription (growth ÷ N).
   */
  storage?: { before: StorageBytes; after: StorageBytes; perSubscription: StorageBytes };
  /** From worker start (launch included) to the end. */
  resources: PhaseFigures;
  /** From T0 to the end: the charging alone. */
  resourcesFromT0: PhaseFigures;
  /** The idle seconds after the run (BillingDayOptions.idleAfterSeconds); absent: not measured. */
  resourcesIdleAfter?: PhaseFigures;
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

  const databaseName = tag.replace(/-/g, '_');
  const databaseUrl = await stack.createDatabase(databaseName);
  const database = createDb(databaseUrl, { max: 10 });
  const bench = await connectClient(stack.temporal.address);
  const priorCount = options.priorDay ?? 0;
  say(`[${options.name}] creating ${n + priorCount} Charge Permissions`);
  const allPermissions = await createPermissions(stack.control, n + priorCount);
  const permissions = allPermissions.slice(0, n);
  // Each day's subscriptions by id, so that its figures leave the other day's out.
  const dayPrefix = `${tag}-day-`;

  const replicas = options.replicas ?? 1;
  const workers: WorkerProcess[] = [];
  try {
    for (let r = 1; r <= replicas; r++)
      workers.push(
        await spawnWorker({
          ...(await stackWorkerOptions(stack, databaseUrl, tuning)),
          ...(replicas > 1 ? { replica: r } : {}),
          ...(options.webhooks ? { webhooks: options.webhooks } : {}),
          onOutput: (line) => say(`[worker${replicas > 1 ? ` ${r}` : ''}] ${line.slice(0, 300)}`),
        }),
      );
    // Started together: the slowest start-up is the figure.
    const workerStartMs = Math.max(...(await Promise.all(workers.map((w) => w.ready()))));
    const ctx = launchContext(database.db, bench.client, tuning.taskQueues);
    // The processes' CPU from now on (each replica, Temporal, PostgreSQL, this process, the hooks' own).
    const startMeter = (): PhaseMeter =>
      new PhaseMeter(
        workers.map((w) => () => w.pid),
        () => stack.temporal.process.pid,
        stack.workDir,
        options.hooks?.processes,
      ).start();
    const meter = startMeter();
    const storageBefore = await storageBytes(stack, databaseName);
    // T0 leaves time to start every workflow and let it reach its timer. With --prior-day, the
    // measured day's subscriptions start first and sleep through the prior day, so that its peak
    // runs with the population the measured one has, as last month's peak did (a prior day run
    // before them ran with half the workflows and was faster: 37–42/s against 30–31/s).
    const priorSeconds = priorCount > 0 ? (options.leadSeconds ?? defaultLeadSeconds(priorCount, stack.temporalKind)) + priorDayBudgetSeconds(priorCount) : 0;
    const leadSeconds = (options.leadSeconds ?? defaultLeadSeconds(n, stack.temporalKind)) + priorSeconds;
    const t0Ms = Math.ceil((Date.now() + leadSeconds * 1000) / 1000) * 1000;
    say(`[${options.name}] starting ${n} subscriptions due at T0 = ${new Date(t0Ms).toISOString()} (in ${leadSeconds} s)`);
    const launch = await launchAll(
      ctx,
      permissions.map((cp, i) => yearlySpec(`${dayPrefix}${i}`, cp, t0Ms, options.afterCharge === 'end' ? 1 : undefined)),
      options.launchConcurrency,
      (done) => say(`[${options.name}]   ${done} started`),
    );
    const finishedBeforeT0Seconds = round((t0Ms - Date.now()) / 1000, 1);
    say(`[${options.name}] started ${n} in ${round(launch.elapsedMs / 1000, 1)} s (${launch.perSecond}/s); T0 in ${finishedBeforeT0Seconds} s`);
    if (finishedBeforeT0Seconds < 0)
      say(`[${options.name}] WARNING: starting took longer than the lead; late starts are charged at once (pass --lead-seconds)`);
    const priorDay =
      priorCount > 0
        ? await runPriorDay({
            ctx,
            database,
            client: bench.client,
            taskQueue: tuning.taskQueues.workflows,
            prefix: `${tag}-prior-`,
            permissions: allPermissions.slice(n),
            stackKind: stack.temporalKind,
            options,
          })
        : null;
    if (priorDay && Date.now() > t0Ms) say(`[${options.name}] WARNING: the prior day ran past T0; the forecast below was made late`);

    // As `billing forecast` computes it: the quota the daemon runs at, and the daemon's own
    // throughput when the ledger (the prior day's, if any) measured it lower.
    const forecast = await forecastCharges(database.db, { quotaPerSecond: rate, now: new Date(Math.min(Date.now(), t0Ms)), days: 1 });
    // The hour holding T0: when its last charge is sent (a peak under a minute late is no "peak", but is still forecast).
    const t0Hour = forecast.hours.find((h) => h.hourStart.getTime() <= t0Ms && t0Ms < h.hourStart.getTime() + 3_600_000);
    const predictedLastChargeAfterT0Seconds = t0Hour?.lastChargeSentAt ? Math.max(0, (t0Hour.lastChargeSentAt.getTime() - t0Ms) / 1000) : 0;
    await options.hooks?.beforeT0?.(database.db);
    const limit = describeChargeRate(forecast.rate);
    say(`[${options.name}] billing forecast: ${forecast.totalDue} charges, the last sent at T0 + ${round(predictedLastChargeAfterT0Seconds, 1)} s. ${limit}`);
    const asleepAtT0 = await asleepJustBeforeT0(database, dayPrefix, t0Ms);
    say(`[${options.name}] asleep (next billing date written) just before T0: ${asleepAtT0}/${n}`);
    if (asleepAtT0 < n) say(`[${options.name}] WARNING: ${n - asleepAtT0} were still starting at T0: the day also carries their start (pass --lead-seconds)`);
    const fromT0 = startMeter();
    // Bounded wait: every subscription settled after its charge (renewed for next year, or
    // ended), or the deadline.
    const idealSeconds = quota ? Math.max(0, (n - quota.burst) / quota.ratePerSecond) : null;
    const deadlineMs = t0Ms + 1000 * Math.max(300, 3 * (idealSeconds ?? n / 10) + 120);
    const settledWhere = sql`${settledCondition(options.afterCharge, t0Ms)} and id like ${`${dayPrefix}%`}`;
    let settled = 0;
    let lastReport = 0;
    while (Date.now() < deadlineMs) {
      const rows = await database.db.execute<{ settled: number }>(sql`select count(*)::int as settled from subscriptions where ${settledWhere}`);
      settled = rows[0]?.settled ?? 0;
      // Renewed rows are written by the charge activity; the workflow task that then sets the
      // timer for next year comes after it, and its CPU belongs to the billing day: wait for it
      // too (its search attribute upsert says BillingCycle 1).
      const renewedBefore = priorDay?.subscriptions ?? 0;
      if (
        settled >= n &&
        (options.afterCharge === 'end' || (await renewedInTemporal(bench.client, tuning.taskQueues.workflows)) >= n + renewedBefore) &&
        (!options.hooks?.done || (await options.hooks.done(database.db)))
      )
        break;
      if (Date.now() - lastReport > 10_000 && Date.now() > t0Ms) {
        lastReport = Date.now();
        say(`[${options.name}]   ${settled}/${n} cycles done, T0 + ${round((Date.now() - t0Ms) / 1000, 0)} s`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const resourcesFromT0 = fromT0.stop();
    const resources = meter.stop();
    let resourcesIdleAfter: PhaseFigures | undefined;
    const idleSeconds = options.idleAfterSeconds ?? 0;
    if (idleSeconds > 0) {
      const idle = startMeter();
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      resourcesIdleAfter = idle.stop();
    }
    if (settled < n) say(`[${options.name}] deadline passed with ${n - settled} subscriptions not settled after their charge`);
    const storageAfter = await storageBytes(stack, databaseName);
    await options.hooks?.afterWindow?.(database.db);

    const due = new Set(permissions);
    const ledger = (await stack.control.charges()).filter((c) => due.has(c.chargePermissionId));
    const check = checkBillingDay(ledger, permissions, t0Ms);
    const attemptCounts: Record<string, number> = {};
    for (const a of (await stack.control.attempts()).attempts) {
      if (a.chargePermissionId && due.has(a.chargePermissionId)) attemptCounts[a.outcome] = (attemptCounts[a.outcome] ?? 0) + 1;
    }
    const db = await databaseFigures(
      database,
      ledger.map((c) => c.chargeId),
      t0Ms,
      settledWhere,
      dayPrefix,
    );
    const chargedInOrder = await database.db.execute<{ workflow_id: string }>(sql`
      select s.workflow_id from charges c join subscriptions s on s.id = c.subscription_id
      where c.state in ${paidStates} and s.id like ${`${dayPrefix}%`} order by c.requested_at`);
    const historySample = options.historySample ?? 200;
    const wakeUp = await (
      historySample === 0
        ? Promise.resolve(null)
        : wakeUpBreakdown(
            bench.client,
            [...chargedInOrder].map((r) => r.workflow_id),
            t0Ms,
            historySample,
          )
    ).catch((error: unknown) => {
      say(`[${options.name}] could not read histories for the wake-up breakdown: ${(error as Error).message}`);
      return null;
    });
    const result: BillingDayResult = {
      scenario: options.name,
      temporal: { kind: stack.temporalKind, replicas },
      subscriptions: n,
      quota,
      daemonRateLimitPerSecond: rate,
      afterCharge: options.afterCharge,
      faults: options.faults ?? {},
      workerTuning: tuning,
      launch: { ...launch, finishedBeforeT0Seconds, asleepAtT0 },
      idealSeconds: idealSeconds === null ? null : round(idealSeconds, 1),
      forecast: {
        predictedLastChargeAfterT0Seconds: round(predictedLastChargeAfterT0Seconds, 1),
        measuredOverPredicted: predictedLastChargeAfterT0Seconds > 0 ? round(check.lastChargeAfterT0Seconds / predictedLastChargeAfterT0Seconds, 3) : null,
        charges: forecast.totalDue,
        ratePerSecond: round(forecast.ratePerSecond, 2),
        limitedBy: forecast.rate.limitedBy,
        wakeUpSeconds: round(forecast.rate.wakeUpSeconds, 2),
        limit,
      },
      priorDay,
      fractionOfIdeal: idealSeconds === null || check.lastChargeAfterT0Seconds <= 0 ? null : round(idealSeconds / check.lastChargeAfterT0Seconds, 3),
      cyclesPerSecond: check.lastChargeAfterT0Seconds > 0 ? round(check.charged / check.lastChargeAfterT0Seconds, 1) : 0,
      ledger: check,
      database: db.summary,
      createChargeAttempts: summariseAttempts(attemptCounts),
      breakdownSeconds: db.breakdown,
      wakeUp,
      storage: { before: storageBefore, after: storageAfter, perSubscription: bytesPerSubscription(storageBefore, storageAfter, n) },
      resources,
      resourcesFromT0,
      ...(resourcesIdleAfter ? { resourcesIdleAfter } : {}),
      workerStartSeconds: round(workerStartMs / 1000, 1),
    };
    return result;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await bench.close();
    await database.close();
  }
}

/**
 * The prior billing day: its subscriptions (renewing yearly, as on a real billing day) started,
 * due at once, charged and renewed in Temporal before the measured day starts; its figures from
 * the daemon's ledger.
 */
async function runPriorDay(input: {
  ctx: ReturnType<typeof launchContext>;
  database: ReturnType<typeof createDb>;
  client: Client;
  taskQueue: string;
  prefix: string;
  permissions: string[];
  stackKind: BenchTemporal;
  options: BillingDayOptions;
}): Promise<PriorDayResult> {
  const { ctx, database, options, permissions, prefix } = input;
  const n = permissions.length;
  const say = (line: string) => options.say(`[${options.name}] prior day: ${line}`);
  const t0Ms = Math.ceil((Date.now() + (options.leadSeconds ?? defaultLeadSeconds(n, input.stackKind)) * 1000) / 1000) * 1000;
  say(`starting ${n} subscriptions due at ${new Date(t0Ms).toISOString()}, the ledger's evidence for the forecast`);
  await launchAll(
    ctx,
    permissions.map((cp, i) => yearlySpec(`${prefix}${i}`, cp, t0Ms)),
    options.launchConcurrency,
  );
  const asleepAtT0 = await asleepJustBeforeT0(database, prefix, t0Ms);
  say(`asleep just before its T0: ${asleepAtT0}/${n}`);
  const settledWhere = sql`${settledCondition('renew', t0Ms)} and id like ${`${prefix}%`}`;
  const deadlineMs = t0Ms + 1000 * Math.max(300, n / 5);
  let settled = 0;
  while (Date.now() < deadlineMs) {
    const [row] = await database.db.execute<{ settled: number }>(sql`select count(*)::int as settled from subscriptions where ${settledWhere}`);
    settled = row?.settled ?? 0;
    if (settled >= n && (await renewedInTemporal(input.client, input.taskQueue)) >= n) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const [figures] = await database.db.execute<{ charged: number; last: string | null }>(sql`
    select count(*)::int as charged, max(c.requested_at)::text as last from charges c
    where c.state in ${paidStates} and c.subscription_id like ${`${prefix}%`}`);
  const last = figures?.last ? (new Date(figures.last).getTime() - t0Ms) / 1000 : null;
  const result: PriorDayResult = {
    subscriptions: n,
    t0: new Date(t0Ms).toISOString(),
    charged: figures?.charged ?? 0,
    lastChargeAfterT0Seconds: last === null ? null : round(last, 2),
    chargesPerSecond: last === null || last <= 0 ? null : round((figures?.charged ?? 0) / last, 1),
    asleepAtT0,
  };
  say(`${result.charged}/${n} charged, the last at T0 + ${result.lastChargeAfterT0Seconds} s (${result.chargesPerSecond}/s); ${settled}/${n} renewed`);
  return result;
}

/**
 * Waits until 1 s before T0 and counts the subscriptions (ids starting with `prefix`) whose
 * workflow has written its next billing date — its last step before the timer — then waits for
 * T0. A real billing day's subscriptions all sleep at T0; one still starting adds its start to it.
 */
async function asleepJustBeforeT0(database: ReturnType<typeof createDb>, prefix: string, t0Ms: number): Promise<number> {
  await new Promise((r) => setTimeout(r, Math.max(0, t0Ms - 1000 - Date.now())));
  const [row] = await database.db.execute<{ n: number }>(
    sql`select count(*)::int as n from subscriptions where id like ${`${prefix}%`} and next_billing_at is not null`,
  );
  await new Promise((r) => setTimeout(r, Math.max(0, t0Ms - Date.now())));
  return row?.n ?? 0;
}

/** Seconds the prior day gets after its T0 before the measured day's: its charges at 20/s or more, renewals, and a minute. */
function priorDayBudgetSeconds(n: number): number {
  return Math.ceil(60 + n / 20);
}

/**
 * Seconds from the start of the launch to T0: 20 + N/45 on the dev server (≈ 60 starts/s measured
 * on 2 busy cores), 20 + N/18 on the Temporal server on PostgreSQL (21.8 starts/s measured here at
 * load 10–15: 5,000 took 229.9 s and overran 20 + N/45).
 */
export function defaultLeadSeconds(n: number, temporal: BenchTemporal): number {
  return Math.ceil(20 + n / (temporal === 'cluster' ? 18 : 45));
}

async function renewedInTemporal(client: Client, taskQueue: string): Promise<number> {
  const { count } = await client.workflow.count(`TaskQueue = '${taskQueue}' AND BillingCycle >= 1 AND ExecutionStatus = 'Running'`);
  return count;
}

/** A subscription done with its T0 cycle: ended, or renewed (cycle 1, next billing date after T0). */
function settledCondition(afterCharge: 'renew' | 'end', t0Ms: number): SQL {
  return afterCharge === 'end'
    ? sql`status = 'ended'`
    : sql`status = 'active' and current_cycle >= 1 and next_billing_at > ${new Date(t0Ms).toISOString()}::timestamptz`;
}

async function databaseFigures(database: ReturnType<typeof createDb>, simulatorChargeIds: string[], t0Ms: number, settledWhere: SQL, dayPrefix: string) {
  const rows = await database.db.execute<{ charge_id: string | null; requested_at: Date; completed_at: Date | null; settled_at: Date | null }>(sql`
    select c.charge_id, c.requested_at, c.completed_at, s.updated_at as settled_at
    from charges c join subscriptions s on s.id = c.subscription_id
    where c.state in ${paidStates} and s.id like ${`${dayPrefix}%`}`);
  const list = [...rows];
  const settled = await database.db.execute<{ n: number; last: Date | null }>(
    sql`select count(*)::int as n, max(updated_at) as last from subscriptions where ${settledWhere}`,
  );
  const ids = new Set(list.map((r) => r.charge_id).filter((id): id is string => id !== null));
  const sim = new Set(simulatorChargeIds);
  const t = (d: Date | string | null): number => (d === null ? NaN : new Date(d).getTime());
  const seconds = (xs: number[]): Percentiles => {
    const p = percentiles(xs.filter((x) => Number.isFinite(x)).map((x) => x / 1000));
    return { p50: round(p.p50, 2), p95: round(p.p95, 2), p99: round(p.p99, 2), max: round(p.max, 2) };
  };
  const last = settled[0]?.last ?? null;
  return {
    summary: {
      paidRowsWithChargeId: ids.size,
      chargeIdsMatchSimulator: ids.size === sim.size && [...sim].every((id) => ids.has(id)),
      subscriptionsSettled: settled[0]?.n ?? 0,
      allSettledAfterT0Seconds: last === null ? null : round((t(last) - t0Ms) / 1000, 1),
    },
    breakdown:
      list.length === 0
        ? null
        : {
            dueToActivityStart: seconds(list.map((r) => t(r.requested_at) - t0Ms)),
            createChargeCall: seconds(list.map((r) => t(r.completed_at) - t(r.requested_at))),
            chargeToSettled: seconds(list.map((r) => t(r.settled_at) - t(r.completed_at))),
          },
  };
}
