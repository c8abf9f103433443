// `npm run bench [-- flags]`: billing day under a Create Charge quota, the merchant-written
// cron baseline on the same billing day, engine throughput without a quota, idle cost of
// sleeping subscriptions and their start rate, on the Temporal dev server or the self-hosted
// Temporal server on PostgreSQL (or both in turn, `--temporal dev,cluster`), with one or more daemon
// processes. Figures are printed and written to bench/results/bench-<timestamp>.json and
// bench/results/bench-latest.md.
import { parseCommandLine } from '../config/command-line.js';
import '../config/luxon-strict.js';
import { runBaselineBillingDay, SDK_INTENDED_RETRY_DELAYS_MS } from './baseline.js';
import { runBillingDay } from './billing-day.js';
import { runIdle } from './idle.js';
import { loadAverage } from './proc-stats.js';
import { machineInfo, writeResults } from './report.js';
import { asUsage, exitWithFailure, UsageError } from './usage.js';
import { renderBenchMarkdown, type BenchResults, type BenchRun } from './report-bench.js';
import { startBenchStack } from './stack.js';
import { parseReplicasPerTemporal, parseTemporalOption, topologyLabel } from './topology.js';

const SCENARIOS = ['billing-day', 'baseline', 'throughput', 'idle'] as const;
type Scenario = (typeof SCENARIOS)[number];

const USAGE = `npm run bench -- [options]
  --scenarios LIST          comma-separated: ${SCENARIOS.join(',')} (default: all)
  --subscriptions N         billing-day, baseline and throughput size (default 5000; e.g. 50000)
  --throughput-subscriptions N   throughput size (default: --subscriptions)
  --idle-subscriptions N    idle-cost size (default 10000; e.g. 50000)
  --burst N --rate R        Create Charge quota in the simulator (default burst 10, 50/s); the daemon's
                            rateLimits.createChargePerSecond is set to R
  --lost-responses P        probability a committed Create Charge's response is lost (default 0)
  --errors P                probability of a 503 before processing (default 0)
  --prior-day N             billing-day: a billing day of N subscriptions first, in the same database
                            and daemon under the same quota, whose ledger is the evidence the billing
                            forecast learns the daemon's throughput from before the measured day; the
                            measured day's subscriptions are started before it and sleep through it,
                            as last month's peak ran with this month's population (the launch's CPU
                            figure then includes the prior day). Default 0: none; about 1000 or more,
                            so that charges wait 15 s or longer
  --launch-concurrency N    subscriptions started in parallel (default 32)
  --lead-seconds S          seconds from the start of launching to T0, for the prior day too; the
                            day's subscriptions asleep 1 s before T0 are counted (default 20 + N/45 on the dev
                            server, 20 + N/18 on the cluster, whose starts were slower here)
  --after-charge renew|end  billing-day and throughput: renew = each subscription renews for next year
                            (default, a real billing day); end = each term is that one cycle, so every
                            workflow also ends during the rush (the figures before 14:25 UTC, 2026-11-28)
  --baseline-concurrency N  the cron baseline's Create Charge concurrency (default 10)
  --baseline-retries intended|actual
                            the baseline's retries: intended = what the official Node SDK's README
                            says (3 retries after 2, 4, 8 s, same key; default); actual = what its
                            version 2.3.4 does (one request, no retry)
  --max-cached N            worker.maxCachedWorkflows of the daemon in billing-day/throughput (default: the
                            scenario's subscriptions, with --prior-day's too, as temporal.yaml advises for
                            a billing day; 500 is the shipped default)
  --sticky-timeout-ms MS    worker.stickyQueueScheduleToStartTimeoutMs of the daemon in billing-day/throughput
                            (default 60000, the billing-day advice in temporal.yaml; 10000 is the shipped default)
  --ipn-cancels N           sleeping subscriptions closed by their buyer for IPN-to-cancel latency (default 100)
  --temporal dev|cluster|dev,cluster
                            which Temporal billing-day, throughput and idle run on (default dev):
                            dev = the temporal CLI's dev server; cluster = the self-hosted Temporal
                            server 1.29.1 on the run's PostgreSQL (databases temporal and
                            temporal_visibility; built once from the Go module proxy); dev,cluster =
                            each in turn on its own stack, figures side by side (baseline runs once)
  --replicas N|LIST         daemon processes for billing-day and throughput, each its own worker
                            process with its own ports, against the one Temporal and PostgreSQL
                            (default 1; idle always runs one); a list gives one count per --temporal
                            in its order, e.g. --temporal dev,cluster --replicas 1,2
  --temporal-db memory|file persistence of the dev server for billing-day, baseline and throughput
                            (default memory; file = a SQLite file in the temp dir, about 10× slower
                            here). Idle cost always runs on its own file-backed server (it measures the file).
  --idle-checkpoints K      idle: start the subscriptions in K equal \`billing import\` batches and
                            measure the stores and worker memory after each (default 1)
  --out DIR                 results directory (default bench/results)`;

async function main(): Promise<void> {
  const { values } = asUsage(() =>
    parseCommandLine({
      options: {
        scenarios: { type: 'string' },
        subscriptions: { type: 'string', default: '5000' },
        'throughput-subscriptions': { type: 'string' },
        'idle-subscriptions': { type: 'string', default: '10000' },
        burst: { type: 'string', default: '10' },
        rate: { type: 'string', default: '50' },
        'lost-responses': { type: 'string', default: '0' },
        errors: { type: 'string', default: '0' },
        'launch-concurrency': { type: 'string', default: '32' },
        'prior-day': { type: 'string', default: '0' },
        'lead-seconds': { type: 'string' },
        'after-charge': { type: 'string', default: 'renew' },
        'baseline-concurrency': { type: 'string', default: '10' },
        'baseline-retries': { type: 'string', default: 'intended' },
        'ipn-cancels': { type: 'string', default: '100' },
        'max-cached': { type: 'string' },
        'sticky-timeout-ms': { type: 'string', default: '60000' },
        out: { type: 'string', default: 'bench/results' },
        'temporal-db': { type: 'string', default: 'memory' },
        temporal: { type: 'string', default: 'dev' },
        replicas: { type: 'string', default: '1' },
        'idle-checkpoints': { type: 'string', default: '1' },
        help: { type: 'boolean', default: false },
      },
    }),
  );
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const num = (name: string, raw: string | undefined): number => {
    const v = Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new UsageError(`--${name}: expected a number ≥ 0, got ${raw}`);
    return v;
  };
  const scenarios = (values.scenarios ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()) as Scenario[];
  for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new UsageError(`--scenarios: unknown ${s}; accepted ${SCENARIOS.join(', ')}`);
  const n = num('subscriptions', values.subscriptions);
  const quota = { burst: num('burst', values.burst), ratePerSecond: num('rate', values.rate) };
  const faults = { responseLostRate: num('lost-responses', values['lost-responses']), error503Rate: num('errors', values.errors) };
  const launchConcurrency = num('launch-concurrency', values['launch-concurrency']);
  const leadSeconds = values['lead-seconds'] === undefined ? undefined : num('lead-seconds', values['lead-seconds']);
  const say = (line: string): void => console.log(`[bench] ${line}`);
  const baselineRetries = values['baseline-retries'];
  if (baselineRetries !== 'intended' && baselineRetries !== 'actual') throw new UsageError(`--baseline-retries: intended or actual, got ${baselineRetries}`);
  const afterCharge = values['after-charge'];
  if (afterCharge !== 'renew' && afterCharge !== 'end') throw new UsageError(`--after-charge: renew or end, got ${afterCharge}`);
  const temporalDb = values['temporal-db'];
  if (temporalDb !== 'file' && temporalDb !== 'memory') throw new UsageError(`--temporal-db: memory or file, got ${temporalDb}`);
  const temporals = parseTemporalOption(values.temporal, true);
  const replicaCounts = parseReplicasPerTemporal(values.replicas, temporals);
  const idleCheckpoints = num('idle-checkpoints', values['idle-checkpoints']);
  if (!Number.isInteger(idleCheckpoints) || idleCheckpoints < 1)
    throw new UsageError(`--idle-checkpoints: expected a whole number ≥ 1, got ${values['idle-checkpoints']}`);

  // The billing-day tuning temporal.yaml advises, unless given: every subscription due at T0 wakes
  // at once, so the cache holds them all and their tasks may wait a minute for it.
  const tuningFor = (subscriptions: number) => ({
    maxCachedWorkflows: values['max-cached'] === undefined ? Math.max(subscriptions, 2) : num('max-cached', values['max-cached']),
    stickyQueueScheduleToStartTimeoutMs: num('sticky-timeout-ms', values['sticky-timeout-ms']),
  });
  const startedAt = new Date();
  // At the start: the load the run began under (machineInfo at the end would give the end's).
  const machine = machineInfo();
  const runs: BenchRun[] = [];
  for (const [index, temporal] of temporals.entries()) {
    const replicas = replicaCounts[index]!;
    const results: BenchResults = {};
    runs.push({ temporal, replicas, results });
    if (temporals.length > 1) say(`--- ${topologyLabel(temporal, replicas)} ---`);
    const wanted = scenarios.filter((s) => s !== 'idle' && (s !== 'baseline' || index === 0));
    if (wanted.length > 0) {
      const stack = await startBenchStack({ say, simulator: { seed: 42 }, temporalInMemory: temporalDb === 'memory', temporal });
      try {
        if (wanted.includes('billing-day')) {
          results.billingDay = await runBillingDay(stack, {
            name: 'billing-day',
            subscriptions: n,
            quota,
            faults,
            launchConcurrency,
            leadSeconds,
            afterCharge,
            replicas,
            // The prior day's workflows stay in the same worker (asleep until next year): the cache
            // holds both days', as temporal.yaml advises, or the measured day replays evicted runs.
            tuning: tuningFor(n + num('prior-day', values['prior-day'])),
            priorDay: num('prior-day', values['prior-day']),
            say,
          });
          say(`billing day: ${JSON.stringify(results.billingDay.ledger)}`);
        }
        if (wanted.includes('baseline')) {
          results.baseline = await runBaselineBillingDay(stack, {
            subscriptions: n,
            quota,
            faults,
            concurrency: num('baseline-concurrency', values['baseline-concurrency']),
            retryDelaysMs: baselineRetries === 'actual' ? [] : SDK_INTENDED_RETRY_DELAYS_MS,
            say,
          });
          say(`baseline: ${JSON.stringify(results.baseline.ledger)}`);
        }
        if (wanted.includes('throughput')) {
          const tn = values['throughput-subscriptions'] === undefined ? n : num('throughput-subscriptions', values['throughput-subscriptions']);
          results.throughput = await runBillingDay(stack, {
            name: 'throughput',
            subscriptions: tn,
            quota: null,
            uncappedRate: 100_000,
            launchConcurrency,
            leadSeconds,
            afterCharge,
            replicas,
            tuning: tuningFor(tn),
            say,
          });
          say(`throughput: ${results.throughput.cyclesPerSecond} cycles/s`);
        }
      } finally {
        await stack.close();
      }
    }
    if (scenarios.includes('idle')) {
      // Its own stack: on the dev server a SQLite file (the figure is how much that file grows), on the cluster its two databases.
      const stack = await startBenchStack({ say, simulator: { seed: 43 }, temporalInMemory: false, temporal });
      try {
        results.idle = await runIdle(stack, {
          subscriptions: num('idle-subscriptions', values['idle-subscriptions']),
          launchConcurrency,
          ipnCancels: num('ipn-cancels', values['ipn-cancels']),
          checkpoints: idleCheckpoints,
          say,
        });
        say(`idle: ${JSON.stringify(results.idle.perSubscription)}`);
      } finally {
        await stack.close();
      }
    }
  }
  const report = {
    kind: 'bench',
    temporalDb,
    temporal: temporals,
    replicas: replicaCounts,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    loadAverageAtEnd: loadAverage(),
    argv: process.argv.slice(2),
    // The first Temporal's figures (the cron baseline's too), where earlier result files have them.
    results: runs[0]!.results,
    // Every Temporal's, in the order run (with --temporal dev,cluster: both).
    runs,
  };
  const files = await writeResults(values.out, 'bench', report, renderBenchMarkdown(report));
  console.log(renderBenchMarkdown(report));
  say(`written ${files.join(', ')}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => exitWithFailure('npm run bench', error, 1),
);
