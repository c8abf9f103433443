// `npm run bench:events [-- flags]`: what events and their webhook delivery cost a billing cycle,
// measured in one invocation: the same billing day (bench/billing-day.ts) run twice on one stack,
// once with no webhook endpoint and once with endpoints on loopback HTTP receivers (a process of
// their own), and the two side by side: cycles, wall time, events written, deliveries, events
// delivered per second, CPU per cycle by process and the difference. Events cannot be turned off
// (the outbox row is written by the ledger and status statements themselves), so the baseline is
// "no endpoints, no delivery". Printed, and written to <out>/events-cost-<timestamp>.json and
// <out>/events-cost-latest.md. Nothing is asserted.
import { join } from 'node:path';
import { parseCommandLine } from '../config/command-line.js';
import '../config/luxon-strict.js';
import { readBillingYaml } from '../config/billing.js';
import { addWebhookEndpoint } from '../webhooks/endpoints.js';
import { runBillingDay, type BillingDayHooks } from './billing-day.js';
import { allDelivered, eventMark, readEventDeliveries, summariseEventDeliveries, type EventFigures } from './event-figures.js';
import { renderEventsCostMarkdown, type EventsCostReport, type EventsCostRun } from './events-cost-report.js';
import { machineInfo, writeResults } from './report.js';
import { startBenchStack, type BenchStack } from './stack.js';
import { asUsage, exitWithFailure, UsageError } from './usage.js';
import { spawnWebhookReceivers, type WebhookReceivers } from './webhook-receivers.js';

const USAGE = `npm run bench:events -- [options]
  --subscriptions N         subscriptions due at T0 in each of the two billing days (default 1000)
  --burst N --rate R        Create Charge quota in the simulator (default burst 10, 25/s); the daemon's
                            rateLimits.createChargePerSecond is set to R
  --endpoints N             webhook endpoints in the run with delivery, each on its own loopback
                            receiver (default 2; at least 1)
  --per-endpoint N          webhooks.perEndpointConcurrency of both daemons (default: billing.yaml's)
  --order ORDER             without,with (default) or with,without: which billing day runs first
  --idle-seconds S          after each billing day, measure the processes idle for S seconds (default 15;
                            0: not measured): the "net of idle" rows take that rate × the run's wall off
  --launch-concurrency N    subscriptions started in parallel (default 32)
  --lead-seconds S          seconds from the start of launching to T0 (default 20 + N/10: starting
                            took 14.7/s on the 2 shared cores here; a launch past T0 spoils the comparison)
  --out DIR                 results directory (default bench/results)`;

type Kind = 'without' | 'with';

async function main(): Promise<void> {
  const { values } = asUsage(() =>
    parseCommandLine({
      options: {
        subscriptions: { type: 'string', default: '1000' },
        burst: { type: 'string', default: '10' },
        rate: { type: 'string', default: '25' },
        endpoints: { type: 'string', default: '2' },
        'per-endpoint': { type: 'string' },
        order: { type: 'string', default: 'without,with' },
        'idle-seconds': { type: 'string', default: '15' },
        'launch-concurrency': { type: 'string', default: '32' },
        'lead-seconds': { type: 'string' },
        out: { type: 'string', default: 'bench/results' },
        help: { type: 'boolean', default: false },
      },
    }),
  );
  if (values.help) return void console.log(USAGE);
  const whole = (name: string, raw: string | undefined, min: number): number => {
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name}: expected a whole number ≥ ${min}, got ${raw}`);
    return v;
  };
  const positive = (name: string, raw: string | undefined): number => {
    const v = Number(raw);
    if (!Number.isFinite(v) || v <= 0) throw new UsageError(`--${name}: expected a number > 0, got ${raw}`);
    return v;
  };
  const n = whole('subscriptions', values.subscriptions, 1);
  const quota = { burst: whole('burst', values.burst, 1), ratePerSecond: positive('rate', values.rate) };
  const endpoints = whole('endpoints', values.endpoints, 1);
  const order = values.order === 'without,with' || values.order === 'with,without' ? (values.order.split(',') as Kind[]) : null;
  if (!order) throw new UsageError(`--order: without,with or with,without, got ${values.order}`);
  const launchConcurrency = whole('launch-concurrency', values['launch-concurrency'], 1);
  const idleSeconds = whole('idle-seconds', values['idle-seconds'], 0);
  // Longer than `npm run bench`'s 20 + N/45: a launch past T0 charges some before the event mark and
  // the endpoints, and the CPU from T0 would then start at the launch's end.
  const leadSeconds = values['lead-seconds'] === undefined ? Math.ceil(20 + n / 10) : positive('lead-seconds', values['lead-seconds']);
  const shipped = readBillingYaml('billing.yaml').webhooks;
  const perEndpoint = values['per-endpoint'] === undefined ? shipped.perEndpointConcurrency : whole('per-endpoint', values['per-endpoint'], 1);
  const webhookSettings = { perEndpointConcurrency: perEndpoint, concurrency: Math.max(shipped.concurrency, perEndpoint * endpoints) };
  const say = (line: string): void => console.log(`[bench:events] ${line}`);

  const startedAt = new Date();
  const stack = await startBenchStack({ say, simulator: { seed: 42 }, temporalInMemory: true });
  const runs: Partial<Record<Kind, EventsCostRun>> = {};
  let receivers: WebhookReceivers | undefined;
  try {
    // Listening before either daemon's ports are chosen, so the kernel cannot hand it one of them.
    receivers = await spawnWebhookReceivers(endpoints, join(stack.workDir, 'receivers.json'));
    for (const kind of order) {
      runs[kind] = await billingDay(stack, kind === 'with' ? receivers : null, {
        n,
        quota,
        launchConcurrency,
        leadSeconds,
        idleSeconds,
        webhooks: { perEndpointConcurrency: webhookSettings.perEndpointConcurrency, concurrency: webhookSettings.concurrency },
        say,
      });
    }
  } finally {
    await receivers?.stop();
    await stack.close();
  }
  const report: EventsCostReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineInfo(),
    argv: process.argv.slice(2),
    order,
    webhookSettings,
    without: runs.without!,
    with: runs.with!,
  };
  const markdown = renderEventsCostMarkdown(report);
  const files = await writeResults(values.out, 'events-cost', report, markdown);
  console.log(markdown);
  say(`written ${files.join(', ')}`);
}

/** One billing day; with `receivers`, an endpoint per receiver is registered before T0 and the run lasts until every event is delivered. */
async function billingDay(
  stack: BenchStack,
  receivers: WebhookReceivers | null,
  o: {
    n: number;
    quota: { burst: number; ratePerSecond: number };
    launchConcurrency: number;
    leadSeconds: number;
    idleSeconds: number;
    webhooks: Record<string, unknown>;
    say: (line: string) => void;
  },
): Promise<EventsCostRun> {
  const endpoints = receivers?.urls.length ?? 0;
  let mark = 0n;
  let events: EventFigures | undefined;
  const hooks: BillingDayHooks = {
    async beforeT0(db) {
      mark = await eventMark(db);
      for (const url of receivers?.urls ?? []) await addWebhookEndpoint({ db, now: () => new Date() }, { url, description: 'bench:events receiver' });
    },
    async afterWindow(db) {
      events = summariseEventDeliveries(await readEventDeliveries(db, mark), endpoints);
    },
    ...(receivers ? { done: (db) => allDelivered(db, mark, endpoints), processes: { receivers: () => receivers.pid } } : {}),
  };
  const name = receivers ? 'with-webhooks' : 'without-webhooks';
  const day = await runBillingDay(stack, {
    name,
    subscriptions: o.n,
    quota: o.quota,
    launchConcurrency: o.launchConcurrency,
    leadSeconds: o.leadSeconds,
    afterCharge: 'renew',
    // The billing-day tuning temporal.yaml advises (as `npm run bench` uses): every subscription wakes at T0.
    tuning: { maxCachedWorkflows: Math.max(o.n, 2), stickyQueueScheduleToStartTimeoutMs: 60_000 },
    webhooks: o.webhooks,
    hooks,
    // The wake-up breakdown is `npm run bench`'s; reading 200 histories per run would only add minutes here.
    historySample: 0,
    idleAfterSeconds: o.idleSeconds,
    say: o.say,
  });
  if (!events) throw new Error(`${name}: the event figures were not read`);
  const counts = receivers ? await receivers.counts() : null;
  o.say(`[${name}] ${day.ledger.charged} charged; events ${JSON.stringify(events)}; receivers ${JSON.stringify(counts)}`);
  return { endpoints, day, events, receivers: counts };
}

main().then(
  () => process.exit(0),
  (error: unknown) => exitWithFailure('npm run bench:events', error, 1),
);
