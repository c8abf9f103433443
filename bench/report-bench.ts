// bench/results/bench-latest.md: the figures of the last `npm run bench`, side by side (with
// `--temporal dev,cluster`, the billing day on each Temporal in one table first).
import type { BaselineResult } from './baseline.js';
import type { BillingDayResult } from './billing-day.js';
import type { WakeUpBreakdown } from './history-breakdown.js';
import type { Percentiles } from './ledger-check.js';
import type { IdleResult } from './idle.js';
import type { MachineInfo } from './report.js';
import { table } from './report.js';
import type { StorageBytes } from './storage.js';
import { topologyLabel, type BenchTemporal } from './topology.js';

export interface BenchResults {
  billingDay?: BillingDayResult;
  baseline?: BaselineResult;
  throughput?: BillingDayResult;
  idle?: IdleResult;
}

/** The scenarios run on one Temporal. */
export interface BenchRun {
  temporal: BenchTemporal;
  replicas: number;
  results: BenchResults;
}

export interface BenchReport {
  startedAt: string;
  temporalDb?: string;
  finishedAt: string;
  machine: MachineInfo;
  loadAverageAtEnd?: number[];
  argv: string[];
  /** The first (or only) Temporal's results. */
  results: BenchResults;
  /** Every Temporal's results, in the order run. */
  runs?: BenchRun[];
}

function temporalName(day: BillingDayResult): string {
  return day.temporal?.kind === 'cluster' ? 'Temporal server' : 'Temporal dev server';
}

/** "worker 12.3" or "daemon replicas 6.1 + 6.2". */
function workerCpu(figures: BillingDayResult['resources']): string {
  const each = figures.cpuSeconds.workers;
  return each ? `daemon replicas ${each.join(' + ')}` : `worker ${figures.cpuSeconds.worker}`;
}

/** Milliseconds of CPU per charged cycle, from T0 to the end of the billing day. */
function perCycleMs(cpuSeconds: number, day: BillingDayResult): number | null {
  return day.ledger.charged > 0 ? Math.round((cpuSeconds / day.ledger.charged) * 1000 * 10) / 10 : null;
}

/** CPU per cycle by process: each replica, Temporal, PostgreSQL, the bench process, their sum, and the machine's busy time. */
export function cpuPerCycleLines(day: BillingDayResult): Array<[string, number | string | null]> {
  const c = day.resourcesFromT0.cpuSeconds;
  return [
    ['daemon, all its processes', perCycleMs(c.worker, day)],
    ...(c.workers ?? []).map((cpu, i): [string, number | null] => [`daemon replica ${i + 1}`, perCycleMs(cpu, day)]),
    ['Temporal (the dev server, or the temporal-server process with all four services)', perCycleMs(c.temporalDevServer, day)],
    ['PostgreSQL (postmaster and backends, every database)', perCycleMs(c.postgres, day)],
    ['bench process (simulator + launcher)', perCycleMs(c.benchProcess, day)],
    ['sum of these', perCycleMs(c.worker + c.temporalDevServer + c.postgres + c.benchProcess, day)],
    ['machine busy (all processes)', perCycleMs(c.machineBusy, day)],
  ];
}

/** Bytes per subscription in each store, "—" where the store is not there. */
export function storageLines(per: StorageBytes | undefined): Array<[string, number | null]> {
  return [
    ['daemon database (PostgreSQL)', per?.daemonDb ?? null],
    ['Temporal persistence database (PostgreSQL)', per?.temporalPersistenceDb ?? null],
    ['Temporal visibility database (PostgreSQL)', per?.temporalVisibilityDb ?? null],
    ['Temporal dev server SQLite file (+ WAL)', per?.temporalSqlite ?? null],
  ];
}

/** The billing day on each Temporal side by side. */
function billingDayComparison(runs: BenchRun[]): string[] {
  const days = runs.filter((r) => r.results.billingDay).map((r) => ({ label: topologyLabel(r.temporal, r.replicas), day: r.results.billingDay! }));
  if (days.length < 2) return [];
  const row = (what: string, f: (d: BillingDayResult) => string | number | null | undefined) => [what, ...days.map(({ day }) => f(day))];
  const cpuRows = (() => {
    const lines = days.map(({ day }) => cpuPerCycleLines(day));
    // In the order of the run with the most replicas (its list holds every name).
    const names = [...lines].sort((a, b) => b.length - a.length)[0]!.map(([name]) => name);
    return names.map((name) => [`CPU per cycle (ms): ${name}`, ...lines.map((l) => l.find(([n]) => n === name)?.[1] ?? null)]);
  })();
  const storageRows = storageLines(undefined).map(([name], i) => [
    `bytes per sleeping subscription: ${name}`,
    ...days.map(({ day }) => storageLines(day.storage?.perSubscription)[i]![1]),
  ]);
  const first = days[0]!.day;
  return [
    `## Billing day on each Temporal: ${first.subscriptions} subscriptions due at T0, Create Charge quota burst ${first.quota?.burst}, ${first.quota?.ratePerSecond}/s`,
    '',
    'Each column its own stack (Temporal, PostgreSQL, simulator), one after the other in this invocation. CPU from T0 to the last subscription renewed, per charged cycle; bytes: growth of each store from just before the launch to the end, ÷ N (every subscription then asleep until next year).',
    '',
    table(
      ['', ...days.map((d) => d.label)],
      [
        row('T0 → last charge (s)', (d) => d.ledger.lastChargeAfterT0Seconds),
        row('quota floor (N − burst) / rate (s)', (d) => d.idealSeconds),
        row('time ÷ quota floor', (d) => (d.idealSeconds ? Math.round((d.ledger.lastChargeAfterT0Seconds / d.idealSeconds) * 1000) / 1000 : null)),
        row('charged / due', (d) => `${d.ledger.charged} / ${d.ledger.due}`),
        row('duplicates', (d) => d.ledger.duplicates),
        row('misses (not charged by the bench deadline, T0 + 3 × floor + 120 s)', (d) => d.ledger.misses),
        row('429s', (d) => d.createChargeAttempts.throttled429),
        row('ChargeIds in the ledger match the simulator', (d) => String(d.database.chargeIdsMatchSimulator)),
        row('billing lag p50 / p99 (s)', (d) => `${d.ledger.lagSeconds.p50} / ${d.ledger.lagSeconds.p99}`),
        row('start rate before T0 (/s)', (d) => d.launch.perSecond),
        row('launch finished before T0 (s; negative: it overran T0 and ran into the billing day)', (d) => d.launch.finishedBeforeT0Seconds),
        ...cpuRows,
        row('daemon peak RSS (MiB, each replica)', (d) => (d.resources.workerPeakRssMiBByReplica ?? [d.resources.workerPeakRssMiB]).join(' / ')),
        row('Temporal process RSS at the end (MiB)', (d) => d.resourcesFromT0.devServerRssMiB),
        ...storageRows,
        row('load average at the end of the day', (d) => d.resourcesFromT0.loadAverageAtEnd.join(' / ')),
      ],
    ),
    '',
  ];
}

function wakeUpLines(w: WakeUpBreakdown): string[] {
  const row = (what: string, all: Percentiles, last: Percentiles) => [what, `${all.p50} / ${all.p95} / ${all.max}`, `${last.p50} / ${last.max}`];
  return [
    `Where the wait before each charge went, from ${w.sampled} workflow histories spread over the charge order (seconds):`,
    '',
    table(
      ['segment', 'p50 / p95 / max', 'last tenth charged: p50 / max'],
      [
        row('T0 → timer fired', w.dueToTimerFired, w.lastTenth.dueToTimerFired),
        row('timer fired → its workflow task started', w.timerFiredToTaskStarted, w.lastTenth.timerFiredToTaskStarted),
        row('task started → Create Charge scheduled', w.taskStartedToChargeScheduled, w.lastTenth.taskStartedToChargeScheduled),
        row('Create Charge scheduled → started (charges queue)', w.chargeScheduledToStarted, w.lastTenth.chargeScheduledToStarted),
      ],
    ),
    '',
    ...(w.cycleCost
      ? [
          `What the cycle due at T0 cost Temporal, from its timer firing to the next timer (${w.cycleCost.sampled} histories): workflow tasks ${Object.entries(
            w.cycleCost.workflowTasksHistogram,
          )
            .map(([tasks, n]) => `${tasks} in ${n}`)
            .join(
              ', ',
            )}; at most ${w.cycleCost.max.workflowTasks} workflow tasks, ${w.cycleCost.max.activities} activities, ${w.cycleCost.max.localActivities} local activities.`,
          '',
        ]
      : []),
  ];
}

export function renderBenchMarkdown(report: BenchReport): string {
  const m = report.machine;
  const out: string[] = [
    `# Benchmark results (${report.startedAt})`,
    '',
    `Machine: ${m.nproc} cores (${m.cpuModel}), ${m.memoryMiB} MiB, Node ${m.node}, load average at start ${m.loadAverageAtStart.join(' / ')}${report.loadAverageAtEnd ? `, at the end ${report.loadAverageAtEnd.join(' / ')}` : ''}; commit ${m.commit ?? 'unknown'}. Temporal dev server persistence for billing day, baseline and throughput: ${report.temporalDb ?? 'memory'} (idle cost: SQLite file).`,
    `Command: \`npm run bench -- ${report.argv.join(' ')}\``,
    '',
  ];
  const runs = report.runs ?? [];
  if (runs.length > 1) {
    out.push(...billingDayComparison(runs));
    for (const run of runs) out.push(`# On the ${topologyLabel(run.temporal, run.replicas)}`, '', ...renderResults(run.results));
  } else out.push(...renderResults(report.results));
  return `${out.join('\n')}\n`;
}

function renderResults(results: BenchResults): string[] {
  const { billingDay: day, baseline: base, throughput: tp, idle } = results;
  const out: string[] = [];
  if (day || base) {
    const q = day?.quota ?? base?.quota;
    const after = day ? (day.afterCharge === 'end' ? ', each ending after this charge' : ', each renewing for next year') : '';
    const on = day?.temporal ? ` (${topologyLabel(day.temporal.kind, day.temporal.replicas)})` : '';
    out.push(
      `## Billing day${on}: ${day?.subscriptions ?? base?.subscriptions} subscriptions due at T0${after}, Create Charge quota burst ${q?.burst}, ${q?.ratePerSecond}/s`,
      '',
    );
    const d = day?.ledger;
    const b = base?.ledger;
    out.push(
      table(
        ['', 'daemon (Temporal)', 'cron baseline'],
        [
          ['last charge after T0 (s)', d?.lastChargeAfterT0Seconds, b?.lastChargeAfterT0Seconds],
          ['quota ideal (N − burst) / rate (s)', day?.idealSeconds, base?.idealSeconds],
          ['fraction of ideal', day?.fractionOfIdeal, base?.fractionOfIdeal],
          ['`billing forecast` before T0: last charge after T0 (s)', day?.forecast?.predictedLastChargeAfterT0Seconds, null],
          ['measured ÷ forecast', day?.forecast?.measuredOverPredicted, null],
          ['charges/s up to the 99th percentile', d?.p99ChargesPerSecond, b?.p99ChargesPerSecond],
          ['charged / due', d ? `${d.charged} / ${d.due}` : null, b ? `${b.charged} / ${b.due}` : null],
          ['duplicates', d?.duplicates, b?.duplicates],
          ['misses (not charged by the deadline)', d?.misses, b?.misses],
          ['429s', day?.createChargeAttempts.throttled429, base?.createChargeAttempts.throttled429],
          ['Create Charge attempts', day?.createChargeAttempts.total, base?.createChargeAttempts.total],
          [
            'billing lag p50 / p95 / p99 (s)',
            d ? `${d.lagSeconds.p50} / ${d.lagSeconds.p95} / ${d.lagSeconds.p99}` : null,
            b ? `${b.lagSeconds.p50} / ${b.lagSeconds.p95} / ${b.lagSeconds.p99}` : null,
          ],
          ['worker CPU (s) / peak RSS (MiB)', day ? `${day.resources.cpuSeconds.worker} / ${day.resources.workerPeakRssMiB}` : null, 'in the bench process'],
        ],
      ),
      '',
    );
    if (day) {
      out.push(
        `Daemon: ${day.subscriptions} started in ${(day.launch.elapsedMs / 1000).toFixed(1)} s (${day.launch.perSecond}/s, ${day.launch.finishedBeforeT0Seconds} s before T0); DB rows with ChargeId ${day.database.paidRowsWithChargeId}, ChargeIds match the simulator: ${day.database.chargeIdsMatchSimulator}; every subscription ${day.afterCharge === 'end' ? 'ended' : 'renewed for next year'} by T0 + ${day.database.allSettledAfterT0Seconds} s.`,
        `CPU seconds from T0 to the end (charging only): ${workerCpu(day.resourcesFromT0)}, ${temporalName(day)} ${day.resourcesFromT0.cpuSeconds.temporalDevServer}, PostgreSQL ${day.resourcesFromT0.cpuSeconds.postgres}, bench process ${day.resourcesFromT0.cpuSeconds.benchProcess}, machine busy ${day.resourcesFromT0.cpuSeconds.machineBusy} over ${day.resourcesFromT0.wallSeconds} s wall (load average at the end ${day.resourcesFromT0.loadAverageAtEnd.join(' / ')}).`,
        `CPU seconds from worker start (starting the subscriptions included) to the end: ${workerCpu(day.resources)}, ${temporalName(day)} ${day.resources.cpuSeconds.temporalDevServer}, PostgreSQL ${day.resources.cpuSeconds.postgres}, bench process (simulator + launcher) ${day.resources.cpuSeconds.benchProcess}, machine busy ${day.resources.cpuSeconds.machineBusy} over ${day.resources.wallSeconds} s wall.`,
        '',
      );
      out.push(
        table(
          ['CPU per charged cycle, T0 to the end', 'ms'],
          cpuPerCycleLines(day).map(([name, ms]) => [name, ms]),
        ),
        '',
      );
      if (day.storage)
        out.push(
          table(
            ['bytes per sleeping subscription (growth from before the launch ÷ N)', 'bytes'],
            storageLines(day.storage.perSubscription).map(([name, bytes]) => [name, bytes]),
          ),
          '',
        );
      if (day.forecast?.limit) out.push(`Forecast before T0, at ${day.forecast.ratePerSecond}/s: ${day.forecast.limit}`, '');
      const prior = day.priorDay;
      if (prior)
        out.push(
          `Prior billing day (the forecast's evidence, same database and daemon): ${prior.subscriptions} due at ${prior.t0}, ${prior.charged} charged, the last at T0 + ${prior.lastChargeAfterT0Seconds} s (${prior.chargesPerSecond} charges/s).`,
          '',
        );
      if (day.wakeUp) out.push(...wakeUpLines(day.wakeUp));
    }
    if (base)
      out.push(
        `Baseline: node-cron every second, concurrency ${base.concurrency}, ${base.retryDelaysMs.length === 0 ? 'no retries (the SDK 2.3.4 as it is)' : `retries after ${base.retryDelaysMs.join(', ')} ms with the same key`}, a new UUID key per run; ${base.gaveUp} calls gave up after their retries; finished within the deadline: ${base.finishedWithinDeadline}.`,
        '',
      );
  }
  if (tp) {
    out.push(
      `## Engine throughput: ${tp.subscriptions} subscriptions due at T0, no quota`,
      '',
      'CPU from T0 to the end (charging only); per cycle: ' +
        `worker ${Math.round((tp.resourcesFromT0.cpuSeconds.worker / tp.subscriptions) * 1000)} ms, dev server ${Math.round((tp.resourcesFromT0.cpuSeconds.temporalDevServer / tp.subscriptions) * 1000)} ms, PostgreSQL ${Math.round((tp.resourcesFromT0.cpuSeconds.postgres / tp.subscriptions) * 1000)} ms.`,
      '',
    );
    out.push(
      table(
        [
          'cycles/s (all)',
          'cycles/s to p99',
          'last charge after T0 (s)',
          'duplicates',
          'misses',
          'lag p50 / p99 (s)',
          'worker CPU (s)',
          'dev server CPU (s)',
          'PostgreSQL CPU (s)',
          'bench CPU (s)',
          'machine busy (s) / wall (s)',
        ],
        [
          [
            tp.cyclesPerSecond,
            tp.ledger.p99ChargesPerSecond,
            tp.ledger.lastChargeAfterT0Seconds,
            tp.ledger.duplicates,
            tp.ledger.misses,
            `${tp.ledger.lagSeconds.p50} / ${tp.ledger.lagSeconds.p99}`,
            tp.resourcesFromT0.cpuSeconds.worker,
            tp.resourcesFromT0.cpuSeconds.temporalDevServer,
            tp.resourcesFromT0.cpuSeconds.postgres,
            tp.resourcesFromT0.cpuSeconds.benchProcess,
            `${tp.resourcesFromT0.cpuSeconds.machineBusy} / ${tp.resourcesFromT0.wallSeconds}`,
          ],
        ],
      ),
      '',
    );
    if (tp.breakdownSeconds) {
      const bd = tp.breakdownSeconds;
      out.push(
        table(
          ["where a cycle's time goes (s)", 'p50', 'p95', 'p99'],
          [
            [
              'T0 → Create Charge activity running (timer, workflow task, dispatch)',
              bd.dueToActivityStart.p50,
              bd.dueToActivityStart.p95,
              bd.dueToActivityStart.p99,
            ],
            ['Create Charge call + ledger writes', bd.createChargeCall.p50, bd.createChargeCall.p95, bd.createChargeCall.p99],
            [
              tp.afterCharge === 'end' ? 'charge recorded → subscription ended' : 'charge recorded → next billing date written',
              bd.chargeToSettled.p50,
              bd.chargeToSettled.p95,
              bd.chargeToSettled.p99,
            ],
          ],
        ),
        '',
      );
    }
  }
  if (idle) {
    out.push(
      `## Idle cost and start rate: ${idle.subscriptions} sleeping subscriptions (${idle.temporal === 'cluster' ? 'Temporal server on PostgreSQL' : 'Temporal dev server on a SQLite file'}, one daemon process)`,
      '',
    );
    out.push(
      table(
        [
          'start rate (/s)',
          'all asleep after (s)',
          idle.temporal === 'cluster' ? 'Temporal persistence + visibility per subscription (bytes)' : 'Temporal SQLite per subscription (bytes)',
          'PostgreSQL per subscription (bytes)',
          'worker RSS before → after (MiB)',
          'worker CPU (s)',
          'Temporal CPU (s)',
        ],
        [
          [
            `${idle.startRate.perSecond} (${idle.startRate.method}, concurrency ${idle.startRate.concurrency})`,
            idle.allSleepingAfterSeconds,
            idle.perSubscription.temporalBytes,
            idle.perSubscription.postgresBytes,
            `${idle.workerRssMiB.idleBefore} → ${idle.workerRssMiB.afterAllSleeping}`,
            idle.resources.cpuSeconds.worker,
            idle.resources.cpuSeconds.temporalDevServer,
          ],
        ],
      ),
      '',
    );
    if (idle.startRate.note) out.push(`Start rate: ${idle.startRate.note}.`, '');
    if (idle.checkpoints && idle.checkpoints.length > 0)
      out.push(
        'At each checkpoint, every subscription so far asleep (bytes per subscription: growth of each store since before the first import ÷ subscriptions so far):',
        '',
        table(
          [
            'subscriptions',
            'import wall (s)',
            'asleep after (s)',
            'worker RSS (MiB)',
            'daemon DB (bytes/sub)',
            'Temporal persistence DB (bytes/sub)',
            'Temporal visibility DB (bytes/sub)',
            'Temporal SQLite (bytes/sub)',
          ],
          idle.checkpoints.map((c) => [
            c.subscriptions,
            c.importSeconds,
            c.asleepAfterSeconds,
            c.workerRssMiB,
            c.perSubscription.daemonDb,
            c.perSubscription.temporalPersistenceDb,
            c.perSubscription.temporalVisibilityDb,
            c.perSubscription.temporalSqlite,
          ]),
        ),
        '',
      );
    if (idle.ipnToCancel) {
      const c = idle.ipnToCancel;
      out.push(
        `IPN-to-cancel: ${c.closed} Charge Permissions closed (${c.closeRatePerSecond}/s), ${c.canceled} subscriptions canceled; close → canceled in the database p50 ${c.latencySeconds.p50} s, p95 ${c.latencySeconds.p95} s, p99 ${c.latencySeconds.p99} s, max ${c.latencySeconds.max} s.`,
        '',
      );
    }
  }
  return out;
}
