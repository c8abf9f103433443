// One fault-suite run: subscriptions with a few short cycles each, charged by one or more
// supervised daemon processes (replicas, each with its own ports) while the run kills one of
// them at a time, restarts Temporal and PostgreSQL (when given hooks),
// makes the simulator fail, lose responses, lag and throttle, and buyers close Charge
// Permissions. Used by `npm run chaos` (full) and test/integration/chaos-reduced.test.ts.
import type { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { freePort } from '../devstack/ports.js';
import type { SimulatorControl } from '../simulator/control-client.js';
import { NO_FAULTS, type FaultConfig } from '../simulator/faults.js';
import type { Quota } from './billing-day.js';
import { checkChaosInvariants, type ChaosCheck, type ChaosSubscription } from './chaos-check.js';
import { WorkerSupervisor } from './chaos-supervisor.js';
import pMap from 'p-map';
import { createPermissions, launchAll, launchContext } from './launch.js';
import { round } from './proc-stats.js';
import type { MerchantKey } from './merchant-key.js';
import type { WorkerTuning } from './worker-process.js';
import { subscriptionWorkflowId } from '../billing/keys.js';
import { addWebhookEndpoint } from '../webhooks/endpoints.js';
import { startWebhookReceiver } from '../test/support/webhook-receiver.js';
import { checkEventInvariants, type EventCheck } from './chaos-events-check.js';

export interface ChaosEnvironment {
  temporalAddress: () => string;
  databaseUrl: string;
  db: Database;
  client: Client;
  control: SimulatorControl;
  simulatorUrl: string;
  key: MerchantKey;
  /** The simulator's IPN signing key; the simulator delivers IPNs to the worker's endpoint. */
  ipnPublicKeyPem: string;
  workDir: string;
  /** Full suite only: the shared test server and database are never restarted. */
  restartTemporal?: () => Promise<{ downMs: number }>;
  restartPostgres?: () => Promise<{ downMs: number }>;
}

export interface ChaosOptions {
  tag: string;
  subscriptions: number;
  cycles: number;
  intervalSeconds: number;
  kills: number;
  /**
   * Daemon processes (default 1), each supervised and on its own ports; the kills take turns
   * (replica 1, 2, …), so with two or more one replica carries on while the other restarts. The
   * simulator delivers IPNs to replica 1's endpoint (a load balancer's job in production).
   */
  replicas?: number;
  /** Fractions of the billing day between which the kills fall (default [0.1, 0.9]). */
  killWindow?: [number, number];
  /** Share of subscriptions whose buyer closes the Charge Permission mid-run. */
  closeFraction: number;
  faults: Partial<FaultConfig>;
  quota: Quota;
  /** A window in which the simulator's quota drops to burst 1, 1/s (below the daemon's cap). */
  hardThrottle: boolean;
  /** Whole run, set-up included; the run fails if the subscriptions have not settled by then. */
  durationSeconds: number;
  seed: number;
  say: (line: string) => void;
}

export interface ChaosReport {
  subscriptions: number;
  cycles: number;
  intervalSeconds: number;
  faultsConfigured: Partial<FaultConfig>;
  quota: Quota;
  injected: {
    workerKills: number;
    temporalRestarts: number;
    postgresRestarts: number;
    hardThrottleSeconds: number;
    permissionsClosed: number;
    byOutcome: Record<string, number>;
  };
  replicas?: number;
  /**
   * recoverSeconds: from the kill to the first charge made after it (null: none within 2 minutes).
   * chargesWhileDown: charges made from the kill until the replacement polled (with replicas ≥ 2,
   * the survivors' work). workerReadySeconds null: the replacement exited during start-up (the
   * supervisor restarts it, counted in unexpectedWorkerExits).
   */
  kills: Array<{ replica?: number; atSeconds: number; workerReadySeconds: number | null; recoverSeconds: number | null; chargesWhileDown?: number }>;
  /** recoverSeconds: from the moment the restart began to the first charge made after it was back (null: none within 2 minutes). */
  restarts: Array<{ what: 'temporal' | 'postgres'; atSeconds: number; downSeconds: number; recoverSeconds?: number | null }>;
  unexpectedWorkerExits: number;
  unexpectedWorkerExitDetails: string[];
  settled: boolean;
  settledAfterT0Seconds: number | null;
  wallSeconds: number;
  check: ChaosCheck;
  /** The webhook invariant: one event per ledger and status change, gapless sequences, every event at the run's receiver. */
  events: EventCheck;
  /** True when no invariant broke and every subscription settled in time. */
  passed: boolean;
}

/** Small seeded PRNG (mulberry32): the fault schedule of a seed is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function runChaos(env: ChaosEnvironment, options: ChaosOptions): Promise<ChaosReport> {
  const { say } = options;
  const started = Date.now();
  const deadline = started + options.durationSeconds * 1000;
  const random = prng(options.seed);
  const n = options.subscriptions;
  const tuning: WorkerTuning = {
    taskQueues: { workflows: `${options.tag}-wf`, charges: `${options.tag}-charges`, amazonReads: `${options.tag}-reads` },
    maxCachedWorkflows: 200,
    maxConcurrentWorkflowTaskExecutions: 20,
    maxConcurrentActivityTaskExecutions: 50,
    createChargePerSecond: options.quota.ratePerSecond,
    amazonReadsPerSecond: 20,
  };
  await env.control.setThrottle({ table: 'off', overrides: { createCharge: options.quota } });
  await env.control.setFaults(NO_FAULTS);
  // A webhook endpoint for the run: every event must reach this receiver (checked by webhook-id).
  // Listening before the daemon's ports are chosen, so the kernel cannot hand it one of them.
  const receiver = await startWebhookReceiver();
  const endpoint = await addWebhookEndpoint({ db: env.db, now: () => new Date() }, { url: receiver.url });
  const receivedIds = (): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const r of receiver.received) counts.set(String(r.headers['webhook-id']), (counts.get(String(r.headers['webhook-id'])) ?? 0) + 1);
    return counts;
  };
  // Fixed for the run: the simulator keeps delivering IPNs to the same endpoint across restarts.
  const replicas = options.replicas ?? 1;
  const replicaPorts: Array<{ ipn: number; operations: number }> = [];
  for (let r = 0; r < replicas; r++) replicaPorts.push({ ipn: await freePort(), operations: await freePort() });
  await env.control.setIpn({
    url: `http://127.0.0.1:${replicaPorts[0]!.ipn}/ipn`,
    retryScheduleMs: [500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 30_000, 60_000],
    suppressSynchronous: true,
    timeoutMs: 5_000,
  });
  const permissions = await createPermissions(env.control, n);
  const supervisors = replicaPorts.map(
    (ports, r) =>
      new WorkerSupervisor({
        workDir: env.workDir,
        temporalAddress: env.temporalAddress,
        databaseUrl: env.databaseUrl,
        simulatorUrl: env.simulatorUrl,
        key: env.key,
        ipnPublicKeyPem: env.ipnPublicKeyPem,
        ports,
        tuning,
        ...(replicas > 1 ? { replica: r + 1 } : {}),
        poolSize: 10,
        // Retries within the run: a delivery cut by a kill comes due again after its lease (request timeout + 10 s).
        webhooks: { retrySchedule: ['1s', '2s', '3s', '5s', '5s', '10s', '10s', '10s'], requestTimeout: '5s', pollInterval: '200ms' },
        onOutput: (line) => {
          if (/"level":(50|60)|exited|failed|Error/.test(line)) say(`[worker${replicas > 1 ? ` ${r + 1}` : ''}] ${line.slice(0, 240)}`);
        },
      }),
  );
  await Promise.all(supervisors.map((s) => s.start()));

  const t0 = Math.ceil((Date.now() + 4_000 + n * 40) / 1000) * 1000;
  const interval = options.intervalSeconds;
  const subs: ChaosSubscription[] = permissions.map((cp, i) => {
    const anchorMs = t0 + Math.floor((i * interval) / n) * 1000;
    const id = `${options.tag}-${i}`;
    return {
      id,
      workflowId: subscriptionWorkflowId(id),
      chargePermissionId: cp,
      dueAtMs: Array.from({ length: options.cycles }, (_v, k) => anchorMs + k * interval * 1000),
    };
  });
  // Charge attempts time out after 15 s (default 2 min), so a charge in flight when its worker
  // is killed is retried (same key) within the run.
  const ctx = launchContext(env.db, env.client, tuning.taskQueues, { chargeAttemptTimeoutMs: 15_000 });
  await launchAll(
    ctx,
    subs.map((s) => ({
      id: s.id,
      chargePermissionId: s.chargePermissionId,
      plan: { amountMinor: '500', currency: 'USD', interval: { unit: 'second', count: interval } },
      anchor: { localDateTime: new Date(s.dueAtMs[0] ?? t0).toISOString().slice(0, 19), zone: 'UTC' },
      end: { afterCycles: options.cycles },
    })),
    16,
  );
  const at = (ms: number): number => round((ms - t0) / 1000, 1);
  const chargedCount = async (): Promise<number> => {
    const own = new Set(permissions);
    return (await env.control.charges()).filter((c) => own.has(c.chargePermissionId)).length;
  };
  say(`${n} subscriptions × ${options.cycles} cycles every ${interval} s from T0 = ${new Date(t0).toISOString()}`);
  await sleep(t0 - Date.now());
  await env.control.setFaults({ ...NO_FAULTS, ...options.faults });

  // The schedule: everything happens within the billing day L = cycles × interval.
  const dayMs = options.cycles * interval * 1000;
  type Event = { atMs: number; kind: 'kill' | 'temporal' | 'postgres' | 'throttle-on' | 'throttle-off' };
  const events: Event[] = [];
  const [from, to] = options.killWindow ?? [0.1, 0.9];
  for (let k = 0; k < options.kills; k++) events.push({ atMs: t0 + dayMs * (from + ((to - from) * (k + random())) / options.kills), kind: 'kill' });
  if (env.restartTemporal) events.push({ atMs: t0 + dayMs * 0.45, kind: 'temporal' });
  if (env.restartPostgres) events.push({ atMs: t0 + dayMs * 0.7, kind: 'postgres' });
  if (options.hardThrottle) events.push({ atMs: t0 + dayMs * 0.25, kind: 'throttle-on' }, { atMs: t0 + dayMs * 0.38, kind: 'throttle-off' });
  events.sort((a, b) => a.atMs - b.atMs);

  // Buyers close Charge Permissions; the simulator sends the CHARGE_PERMISSION IPN to the
  // daemon's endpoint (redelivered on failure while the worker is down), and the daemon's
  // IPN reaction cancels the subscription. Nothing here talks to the workflows.
  const closing = [...subs].sort(() => random() - 0.5).slice(0, Math.round(n * options.closeFraction));
  const closes = pMap(
    closing.map((s) => ({ s, atMs: t0 + random() * dayMs })).sort((a, b) => a.atMs - b.atMs),
    async ({ s, atMs }) => {
      await sleep(atMs - Date.now());
      await env.control.closeChargePermission(s.chargePermissionId, 'buyer');
      // Once the control call answered, the close is committed: any charge created later is a violation.
      s.closedAtMs = Date.now();
    },
    { concurrency: 1 },
  );

  const kills: ChaosReport['kills'] = [];
  const restarts: ChaosReport['restarts'] = [];
  const recoveries: Promise<void>[] = [];
  // Recovered = more than `before` charges made (bounded; none may be left to make): seconds from `fromMs`.
  const watchRecovery = (before: number, fromMs: number, done: (seconds: number) => void): void => {
    recoveries.push(
      (async () => {
        const until = Math.min(deadline, Date.now() + 120_000);
        while (Date.now() < until) {
          if ((await chargedCount()) > before) {
            done(round((Date.now() - fromMs) / 1000, 1));
            return;
          }
          await sleep(250);
        }
      })(),
    );
  };
  let restarting: Promise<void> = Promise.resolve();
  let throttleOnAt = 0;
  let hardThrottleMs = 0;
  for (const event of events) {
    await sleep(event.atMs - Date.now());
    if (Date.now() > deadline) break;
    if (event.kind === 'kill') {
      // One kill at a time (a replica is back before the next goes down); the rest of the
      // schedule (throttle, restarts) goes on while the replacement starts.
      await restarting;
      // The replicas take turns being killed; the others carry on meanwhile.
      const index = kills.length % replicas;
      const before = await chargedCount();
      const killedAt = Date.now();
      const entry: ChaosReport['kills'][number] = {
        ...(replicas > 1 ? { replica: index + 1 } : {}),
        atSeconds: at(killedAt),
        workerReadySeconds: null,
        recoverSeconds: null,
        chargesWhileDown: 0,
      };
      kills.push(entry);
      watchRecovery(before, killedAt, (seconds) => (entry.recoverSeconds = seconds));
      restarting = supervisors[index]!.killAndRestart().then(
        async ({ readyMs }) => {
          entry.workerReadySeconds = round(readyMs / 1000, 1);
          entry.chargesWhileDown = (await chargedCount()) - before;
          say(
            `killed ${replicas > 1 ? `replica ${index + 1}` : 'the worker'} at T0 + ${entry.atSeconds} s; replacement polling after ${entry.workerReadySeconds} s; ${entry.chargesWhileDown} charges made meanwhile`,
          );
        },
        (error: unknown) => say(`the replacement for the kill at T0 + ${entry.atSeconds} s did not start: ${(error as Error).message}`),
      );
    } else if ((event.kind === 'temporal' && env.restartTemporal) || (event.kind === 'postgres' && env.restartPostgres)) {
      const what = event.kind;
      const at0 = Date.now();
      const { downMs } = await (what === 'temporal' ? env.restartTemporal! : env.restartPostgres!)();
      const entry: ChaosReport['restarts'][number] = { what, atSeconds: at(at0), downSeconds: round(downMs / 1000, 1), recoverSeconds: null };
      restarts.push(entry);
      say(`restarted ${what === 'temporal' ? 'Temporal' : 'PostgreSQL'} (down ${entry.downSeconds} s)`);
      // Charges made while it was down (PostgreSQL: a call already past its pending row) do not count as recovery.
      watchRecovery(await chargedCount(), at0, (seconds) => (entry.recoverSeconds = seconds));
    } else if (event.kind === 'throttle-on') {
      throttleOnAt = Date.now();
      await env.control.setThrottle({ table: 'off', overrides: { createCharge: { burst: 1, ratePerSecond: 1 } } });
      say('simulator throttling hard (Create Charge burst 1, 1/s)');
    } else if (event.kind === 'throttle-off') {
      hardThrottleMs += Date.now() - throttleOnAt;
      await env.control.setThrottle({ table: 'off', overrides: { createCharge: options.quota } });
    }
  }
  await restarting;
  await closes;
  await Promise.all(recoveries);

  // Settled: every subscription ended or canceled in the database, every IPN delivered and its
  // inbox row handled (bounded by --duration). A closed buyer's subscription can end on its own
  // before its CHARGE_PERMISSION IPN lands; on a busy machine the delivery trails it.
  let settledAt: number | null = null;
  while (Date.now() < deadline) {
    const rows = [
      ...(await env.db.execute<{ n: number }>(
        sql`select count(*)::int as n from subscriptions where status in ('ended', 'canceled') and id like ${`${options.tag}-%`}`,
      )),
    ];
    const inboxOpen = [...(await env.db.execute<{ n: number }>(sql`select count(*)::int as n from ipn_inbox where status in ('pending', 'dispatched')`))];
    const ipnPending = (await env.control.ipnDeliveries()).pending;
    // Every event of the run's subscriptions delivered to the receiver.
    const received = receivedIds();
    const eventIds = [...(await env.db.execute<{ id: string }>(sql`select id from events where subscription_id like ${`${options.tag}-%`}`))];
    const undelivered = eventIds.filter((e) => !received.has(e.id)).length;
    // And every workflow closed: a run writes its final status before it returns, so a worker
    // stopped (or killed) in between leaves it running with the database already final.
    if ((rows[0]?.n ?? 0) >= n && ipnPending === 0 && (inboxOpen[0]?.n ?? 0) === 0 && undelivered === 0 && (await runningWorkflows(env.client, subs)) === 0) {
      settledAt = Date.now();
      break;
    }
    await sleep(500);
  }
  await env.control.setFaults(NO_FAULTS);
  await Promise.all(supervisors.map((s) => s.stop()));
  if (settledAt === null) say('not every subscription settled before the deadline');

  const own = new Set(permissions);
  const byOutcome: Record<string, number> = {};
  const attempts = (await env.control.attempts()).attempts.filter((a) => a.chargePermissionId !== null && own.has(a.chargePermissionId));
  for (const a of attempts) byOutcome[a.outcome] = (byOutcome[a.outcome] ?? 0) + 1;
  const ledger = (await env.control.charges()).filter((c) => own.has(c.chargePermissionId));
  const deliveries = await env.control.ipnDeliveries();
  const check = await checkChaosInvariants({ subs, ledger, attempts, db: env.db, client: env.client, ipnPending: deliveries.pending });
  const eventCheck = await checkEventInvariants({ db: env.db, subscriptionIds: subs.map((s) => s.id), received: receivedIds() });
  // Every request was signed with the endpoint's secret (standardwebhooks verifies; throws on a forged one).
  try {
    receiver.verified(endpoint.secret);
  } catch (error) {
    eventCheck.violations.push(`a webhook request did not verify: ${error instanceof Error ? error.message : String(error)}`);
  }
  await receiver.close();
  await env.control.setIpn({ url: null });
  return {
    subscriptions: n,
    cycles: options.cycles,
    intervalSeconds: interval,
    faultsConfigured: options.faults,
    quota: options.quota,
    injected: {
      workerKills: kills.length,
      temporalRestarts: restarts.filter((r) => r.what === 'temporal').length,
      postgresRestarts: restarts.filter((r) => r.what === 'postgres').length,
      hardThrottleSeconds: round(hardThrottleMs / 1000, 1),
      permissionsClosed: check.closed,
      byOutcome,
    },
    kills,
    restarts,
    replicas,
    unexpectedWorkerExits: supervisors.reduce((sum, s) => sum + s.unexpectedExits, 0),
    unexpectedWorkerExitDetails: supervisors.flatMap((s) => s.unexpectedExitDetails),
    settled: settledAt !== null,
    settledAfterT0Seconds: settledAt === null ? null : at(settledAt),
    wallSeconds: round((Date.now() - started) / 1000, 1),
    check,
    events: eventCheck,
    passed: settledAt !== null && check.violations.length === 0 && eventCheck.violations.length === 0,
  };
}

/** How many of the run's subscription workflows are still running. */
async function runningWorkflows(client: Client, subs: readonly ChaosSubscription[]): Promise<number> {
  const states = await Promise.all(subs.map(async (s) => (await client.workflow.getHandle(s.workflowId).describe()).status.name));
  return states.filter((name) => name === 'RUNNING').length;
}
