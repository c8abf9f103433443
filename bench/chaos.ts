// `npm run chaos [-- flags]`: the fault suite on its own stack. During a billing day it kills the
// worker process (SIGKILL; with --replicas 2 or more, one replica at a time) several times,
// restarts Temporal (the dev server on the same SQLite file, or with --temporal cluster the
// Temporal server on PostgreSQL) and PostgreSQL once each, makes the simulator fail, lose committed responses, lag and throttle
// hard, and closes some Charge Permissions; then checks the invariants and exits 1 if one broke.
import { randomBytes } from 'node:crypto';
import { parseCommandLine } from '../config/command-line.js';
import '../config/luxon-strict.js';
import { createDb } from '../db/client.js';
import { runChaos, type ChaosReport } from './chaos-run.js';
import { connectClient } from './launch.js';
import { loadAverage } from './proc-stats.js';
import { machineInfo, table, writeResults, type MachineInfo } from './report.js';
import { parseReplicasOption, parseTemporalOption, topologyLabel, type BenchTemporal } from './topology.js';
import { startBenchStack } from './stack.js';
import { asUsage, exitWithFailure, UsageError } from './usage.js';

const USAGE = `npm run chaos -- [options]
  --duration S          bound of the whole run in seconds, set-up included (default 420)
  --subscriptions N     default 120
  --cycles N            cycles per subscription (default 3)
  --interval-seconds S  seconds between cycles (default 30)
  --kills N             worker SIGKILLs (default 4), taking turns among the replicas
  --temporal dev|cluster
                        the Temporal dev server on a SQLite file (default), or the self-hosted
                        Temporal server 1.29.1 on the run's PostgreSQL (built once from the Go
                        module proxy)
  --replicas N          daemon processes, each supervised with its own ports (default 1); a kill
                        takes one down while the others carry on
  --seed N              fault schedule and simulator PRNG seed (default: random, printed)
  --out DIR             results directory (default bench/results)`;

async function main(): Promise<number> {
  const { values } = asUsage(() =>
    parseCommandLine({
      options: {
        duration: { type: 'string', default: '420' },
        subscriptions: { type: 'string', default: '120' },
        cycles: { type: 'string', default: '3' },
        'interval-seconds': { type: 'string', default: '30' },
        kills: { type: 'string', default: '4' },
        temporal: { type: 'string', default: 'dev' },
        replicas: { type: 'string', default: '1' },
        seed: { type: 'string' },
        out: { type: 'string', default: 'bench/results' },
        help: { type: 'boolean', default: false },
      },
    }),
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const int = (name: string, raw: string | undefined): number => {
    const v = Number(raw);
    if (!Number.isInteger(v) || v < 0) throw new UsageError(`--${name}: expected a whole number ≥ 0, got ${raw}`);
    return v;
  };
  const temporal = parseTemporalOption(values.temporal, false)[0]!;
  const replicas = parseReplicasOption(values.replicas);
  const seed = values.seed === undefined ? Number.parseInt(randomBytes(3).toString('hex'), 16) : int('seed', values.seed);
  const say = (line: string): void => console.log(`[chaos] ${line}`);
  say(`seed ${seed}; ${topologyLabel(temporal, replicas)}`);
  const startedAt = new Date();
  // At the start: the load the run began under.
  const machine = machineInfo();
  const stack = await startBenchStack({ say, simulator: { seed }, temporal });
  let report: ChaosReport;
  try {
    const databaseUrl = await stack.createDatabase('chaos');
    const database = createDb(databaseUrl, { max: 5 });
    const bench = await connectClient(stack.temporal.address);
    try {
      report = await runChaos(
        {
          temporalAddress: () => stack.temporal.address,
          databaseUrl,
          db: database.db,
          client: bench.client,
          control: stack.control,
          simulatorUrl: stack.simulator.url,
          key: stack.key,
          ipnPublicKeyPem: stack.simulator.ipnSigningPublicKeyPem,
          workDir: stack.workDir,
          restartTemporal: () => stack.restartTemporal(),
          restartPostgres: () => stack.restartPostgres(),
        },
        {
          tag: `chaos-${randomBytes(3).toString('hex')}`,
          subscriptions: int('subscriptions', values.subscriptions),
          cycles: int('cycles', values.cycles),
          intervalSeconds: int('interval-seconds', values['interval-seconds']),
          kills: int('kills', values.kills),
          replicas,
          closeFraction: 0.1,
          faults: {
            error500Rate: 0.03,
            error503Rate: 0.03,
            connectionResetRate: 0.01,
            responseLostRate: 0.05,
            responseLostMode: 'reset',
            latencyFixedMs: 20,
            latencyRandomMs: 150,
          },
          quota: { burst: 10, ratePerSecond: 20 },
          hardThrottle: true,
          durationSeconds: int('duration', values.duration),
          seed,
          say,
        },
      );
    } finally {
      await bench.close();
      await database.close();
    }
  } finally {
    await stack.close();
  }
  const full = {
    kind: 'chaos',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    loadAverageAtEnd: loadAverage(),
    temporal,
    replicas,
    argv: process.argv.slice(2),
    seed,
    report,
  };
  const markdown = renderChaosMarkdown(full);
  const files = await writeResults(values.out, 'chaos', full, markdown);
  console.log(markdown);
  say(`written ${files.join(', ')}`);
  if (!report.passed)
    say(`FAILED: ${report.check.violations.length + report.events.violations.length} violations${report.settled ? '' : '; not settled in time'}`);
  return report.passed ? 0 : 1;
}

function renderChaosMarkdown(full: {
  startedAt: string;
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  temporal: BenchTemporal;
  replicas: number;
  argv: string[];
  seed: number;
  report: ChaosReport;
}): string {
  const r = full.report;
  const c = r.check;
  const e = r.events;
  const violations = [...c.violations, ...e.violations];
  const lines = [
    `# Fault suite results (${full.startedAt}): ${r.passed ? 'PASSED' : 'FAILED'}`,
    '',
    `Machine: ${full.machine.nproc} cores, ${full.machine.memoryMiB} MiB, load average at start ${full.machine.loadAverageAtStart.join(' / ')}, at the end ${full.loadAverageAtEnd.join(' / ')}. Command: \`npm run chaos -- ${full.argv.join(' ')}\` (seed ${full.seed}). Wall time ${r.wallSeconds} s. ${topologyLabel(full.temporal, full.replicas)}.`,
    '',
    `${r.subscriptions} subscriptions × ${r.cycles} cycles every ${r.intervalSeconds} s; quota burst ${r.quota.burst}, ${r.quota.ratePerSecond}/s; simulator faults ${JSON.stringify(r.faultsConfigured)}.`,
    '',
    '## Faults injected',
    '',
    table(
      ['kind', 'count'],
      [
        [full.replicas > 1 ? 'one replica SIGKILLed (+ restarted)' : 'worker SIGKILL (+ restart)', r.injected.workerKills],
        [full.temporal === 'cluster' ? 'Temporal server restart (same databases and ports)' : 'Temporal dev server restart', r.injected.temporalRestarts],
        ['PostgreSQL restart', r.injected.postgresRestarts],
        ['hard throttle window (s)', r.injected.hardThrottleSeconds],
        ['Charge Permissions closed by the buyer (cancelled through the IPN pipeline)', r.injected.permissionsClosed],
        ...Object.entries(r.injected.byOutcome).map(([k, v]) => [`Create Charge attempts: ${k}`, v] as [string, number]),
        ['unexpected worker exits (restarted)', r.unexpectedWorkerExits],
      ],
    ),
    '',
    '## Invariants',
    '',
    table(
      [
        'charges made',
        'duplicates',
        'misses',
        'charges after close',
        'attempts after close (before / after the daemon knew)',
        'charges without ledger ChargeId',
        'workflow/DB state mismatches',
        'IPNs lost',
        'settled after T0 (s)',
      ],
      [
        [
          c.chargesMade,
          c.duplicates,
          c.misses,
          c.chargesAfterClose,
          `${c.attemptsAfterClose - c.attemptsAfterCancel} / ${c.attemptsAfterCancel}`,
          c.unrecorded,
          c.stateMismatches,
          c.ipnLost,
          r.settledAfterT0Seconds,
        ],
      ],
    ),
    '',
    '## Webhook invariant',
    '',
    'One event per ledger and status change (events table), sequences 1..N per subscription, every event at the webhook receiver registered for the run (by webhook-id).',
    '',
    table(
      [
        'events',
        'sequence gaps',
        'charge rows without exactly one event',
        'status histories ≠ status events',
        'events not delivered',
        'redeliveries (same webhook-id)',
      ],
      [[e.events, e.sequenceGaps, e.chargeEventMismatches, e.statusEventMismatches, e.undelivered ?? 'no endpoint', e.redeliveries ?? '-']],
    ),
    '',
    '## Kills',
    '',
    table(
      ['replica', 'at T0 + (s)', 'replacement polling after (s)', 'charges made until it polled', 'first charge after the kill (s)'],
      r.kills.map((k) => [k.replica ?? 1, k.atSeconds, k.workerReadySeconds, k.chargesWhileDown, k.recoverSeconds]),
    ),
    '',
    r.restarts.length
      ? table(
          ['restart', 'at T0 + (s)', 'down (s)', 'first charge after it was back, from the start of the restart (s)'],
          r.restarts.map((x) => [x.what, x.atSeconds, x.downSeconds, x.recoverSeconds]),
        )
      : '',
    '',
    violations.length
      ? `## Violations\n\n${violations
          .slice(0, 50)
          .map((v) => `- ${v}`)
          .join('\n')}`
      : 'No violations.',
  ];
  return `${lines.join('\n')}\n`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => exitWithFailure('npm run chaos', error, 2),
);
