// The comparison `npm run bench:events` prints: the same billing day without webhook endpoints
// and with them, side by side, CPU per charged cycle by process and the difference. Pure: the
// figures in, Markdown out.
import type { BillingDayResult } from './billing-day.js';
import type { EventFigures } from './event-figures.js';
import type { Percentiles } from './ledger-check.js';
import type { PhaseFigures } from './meters.js';
import { round } from './proc-stats.js';
import { table, type MachineInfo } from './report.js';
import type { ReceiverCounts } from './webhook-receivers.js';

export interface EventsCostRun {
  /** Webhook endpoints registered before T0 (0: the baseline). */
  endpoints: number;
  day: BillingDayResult;
  events: EventFigures;
  /** What the receivers counted, one entry per endpoint; null without endpoints. */
  receivers: ReceiverCounts[] | null;
}

export interface EventsCostReport {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  argv: string[];
  /** The order the two billing days ran in. */
  order: Array<'without' | 'with'>;
  /** billing.yaml `webhooks` settings both daemons ran with. */
  webhookSettings: { perEndpointConcurrency: number; concurrency: number };
  without: EventsCostRun;
  with: EventsCostRun;
}

/** CPU milliseconds per charged cycle, from T0 until the run was done, by process. */
export interface CpuPerCycle {
  daemon: number;
  temporalDevServer: number;
  postgres: number;
  /** null: not measured (no receivers in the run). */
  receivers: number | null;
  benchProcess: number;
  /** daemon + PostgreSQL: the processes webhook delivery runs in (the dispatcher never calls Temporal). */
  deliveryPath: number;
  /** daemon + dev server + PostgreSQL: what the product costs (receivers are the merchant's). */
  productTotal: number;
  machineBusy: number;
}

/**
 * CPU per charged cycle by process. `netOfIdle`: less what each process spends idle (its rate in
 * the seconds measured after the run, times the run's wall time), so that a run that lasted
 * longer is not charged for its idle seconds; null when the idle seconds were not measured.
 */
export function cpuPerCycle(run: EventsCostRun): CpuPerCycle;
export function cpuPerCycle(run: EventsCostRun, options: { netOfIdle?: boolean }): CpuPerCycle | null;
export function cpuPerCycle(run: EventsCostRun, options: { netOfIdle?: boolean } = {}): CpuPerCycle | null {
  const cycles = run.day.ledger.charged;
  const cpu = run.day.resourcesFromT0.cpuSeconds;
  const idle = run.day.resourcesIdleAfter;
  if (options.netOfIdle && !idle) return null;
  const wall = run.day.resourcesFromT0.wallSeconds;
  type Cpu = PhaseFigures['cpuSeconds'];
  const spent = (get: (c: Cpu) => number): number =>
    options.netOfIdle && idle && idle.wallSeconds > 0 ? get(cpu) - (get(idle.cpuSeconds) / idle.wallSeconds) * wall : get(cpu);
  const ms = (get: (c: Cpu) => number): number => (cycles > 0 ? round((spent(get) * 1000) / cycles, 2) : 0);
  return {
    daemon: ms((c) => c.worker),
    temporalDevServer: ms((c) => c.temporalDevServer),
    postgres: ms((c) => c.postgres),
    receivers: cpu.others?.receivers === undefined ? null : ms((c) => c.others?.receivers ?? 0),
    benchProcess: ms((c) => c.benchProcess),
    deliveryPath: ms((c) => c.worker + c.postgres),
    productTotal: ms((c) => c.worker + c.temporalDevServer + c.postgres),
    machineBusy: ms((c) => c.machineBusy),
  };
}

/** Each process's CPU while idle after the run, in ms per second: "daemon / dev server / PostgreSQL"; null: not measured. */
export function idleRates(run: EventsCostRun): string | null {
  const idle = run.day.resourcesIdleAfter;
  if (!idle || idle.wallSeconds <= 0) return null;
  const rate = (seconds: number): number => round((seconds * 1000) / idle.wallSeconds, 1);
  return `${rate(idle.cpuSeconds.worker)} / ${rate(idle.cpuSeconds.temporalDevServer)} / ${rate(idle.cpuSeconds.postgres)}`;
}

/** "with − without", signed, with the change in per cent of `without` when it is not 0; "—" when either is missing. */
export function difference(without: number | null, withEvents: number | null, digits = 2): string {
  if (without === null || withEvents === null) return '—';
  const d = round(withEvents - without, digits);
  const sign = d > 0 ? '+' : '';
  const percent = without === 0 ? '' : ` (${sign}${round((100 * d) / without, 0)} %)`;
  return `${sign}${d}${percent}`;
}

type Row = [string, string | number | null, string | number | null, string];

/**
 * The extra CPU of the processes delivery runs in (daemon + PostgreSQL, with − without, per cycle
 * so that runs charging different numbers of cycles compare) spread over the deliveries made, in
 * ms; null: none made (or, net of idle, the idle seconds not measured). The dev server is left
 * out: delivery never reaches it, so its difference is the machine's noise.
 */
export function perDelivery(without: EventsCostRun, withEvents: EventsCostRun, options: { netOfIdle?: boolean } = {}): number | null {
  const delivered = withEvents.events.deliveries.delivered;
  const a = cpuPerCycle(without, options);
  const b = cpuPerCycle(withEvents, options);
  if (delivered === 0 || !a || !b) return null;
  return round(((b.deliveryPath - a.deliveryPath) * withEvents.day.ledger.charged) / delivered, 2);
}

/** The comparison table's rows: [what, without, with, difference]. */
export function comparisonRows(without: EventsCostRun, withEvents: EventsCostRun): Row[] {
  const a = cpuPerCycle(without);
  const b = cpuPerCycle(withEvents);
  const netA = cpuPerCycle(without, { netOfIdle: true });
  const netB = cpuPerCycle(withEvents, { netOfIdle: true });
  const figure = (label: string, get: (run: EventsCostRun) => number | null, digits = 1): Row => {
    const x = get(without);
    const y = get(withEvents);
    return [label, x, y, difference(x, y, digits)];
  };
  const cpu = (label: string, get: (c: CpuPerCycle) => number | null): Row => [label, get(a), get(b), difference(get(a), get(b))];
  const net = (label: string, get: (c: CpuPerCycle) => number | null): Row => {
    const x = netA ? get(netA) : null;
    const y = netB ? get(netB) : null;
    return [label, x, y, difference(x, y)];
  };
  const spread = (p: Percentiles | null): string | null => (p ? `${p.p50} / ${p.p95} / ${p.max}` : null);
  const received = (run: EventsCostRun): string | null =>
    run.receivers ? `${run.receivers.reduce((s, r) => s + r.requests, 0)} / ${run.receivers.reduce((s, r) => s + r.distinctIds, 0)}` : null;
  return [
    figure('webhook endpoints (loopback receivers)', (r) => r.endpoints, 0),
    figure('cycles charged', (r) => r.day.ledger.charged, 0),
    [
      'duplicates / misses',
      `${without.day.ledger.duplicates} / ${without.day.ledger.misses}`,
      `${withEvents.day.ledger.duplicates} / ${withEvents.day.ledger.misses}`,
      '',
    ],
    figure('last charge after T0 (s)', (r) => r.day.ledger.lastChargeAfterT0Seconds),
    figure('wall time, T0 → all done (s)', (r) => r.day.resourcesFromT0.wallSeconds),
    figure('events written', (r) => r.events.written, 0),
    figure('deliveries made (2xx)', (r) => r.events.deliveries.delivered, 0),
    figure('delivery attempts', (r) => r.events.deliveries.attempts, 0),
    figure('events delivered to every endpoint', (r) => (r.endpoints > 0 ? r.events.eventsDelivered : null), 0),
    figure('events delivered per second (first event → last delivery)', (r) => r.events.eventsDeliveredPerSecond),
    figure('deliveries per second', (r) => r.events.deliveriesPerSecond),
    ['delivery lag p50 / p95 / max (s): event written → delivered', spread(without.events.lagSeconds), spread(withEvents.events.lagSeconds), ''],
    ['… of which event written → fanned out (s)', spread(without.events.fanoutSeconds), spread(withEvents.events.fanoutSeconds), ''],
    figure('last delivery after the last event (s)', (r) => r.events.lastDeliveryAfterLastEventSeconds),
    ['receiver requests / distinct webhook-ids', received(without), received(withEvents), ''],
    cpu('CPU ms per cycle: daemon (billing + webhook dispatcher)', (c) => c.daemon),
    cpu('CPU ms per cycle: Temporal dev server', (c) => c.temporalDevServer),
    cpu('CPU ms per cycle: PostgreSQL', (c) => c.postgres),
    cpu('CPU ms per cycle: daemon + PostgreSQL (where delivery runs)', (c) => c.deliveryPath),
    cpu('CPU ms per cycle: daemon + dev server + PostgreSQL', (c) => c.productTotal),
    cpu('CPU ms per cycle: webhook receivers', (c) => c.receivers),
    cpu('CPU ms per cycle: bench process (simulator, driver)', (c) => c.benchProcess),
    cpu('CPU ms per cycle: machine busy (other work included)', (c) => c.machineBusy),
    ['extra CPU ms per delivery (daemon + PostgreSQL)', null, perDelivery(without, withEvents), ''],
    ['idle CPU after the run, ms per s: daemon / dev server / PostgreSQL', idleRates(without), idleRates(withEvents), ''],
    net('net of idle, CPU ms per cycle: daemon', (c) => c.daemon),
    net('net of idle, CPU ms per cycle: Temporal dev server', (c) => c.temporalDevServer),
    net('net of idle, CPU ms per cycle: PostgreSQL', (c) => c.postgres),
    net('net of idle, CPU ms per cycle: daemon + PostgreSQL', (c) => c.deliveryPath),
    ['net of idle, extra CPU ms per delivery (daemon + PostgreSQL)', null, perDelivery(without, withEvents, { netOfIdle: true }), ''],
  ];
}

/**
 * Why a run does not measure what the comparison needs (empty: nothing found): a launch that ran
 * past T0 (charges before the event mark and the endpoints, CPU measured from the launch's end),
 * subscriptions not settled or events not delivered by the deadline.
 */
export function comparabilityProblems(run: EventsCostRun, label: string): string[] {
  const problems: string[] = [];
  const early = run.day.launch.finishedBeforeT0Seconds;
  if (early < 0)
    problems.push(
      `${label}: the launch finished ${-early} s after T0, so charges made before it are missing from the event figures and CPU was measured from the launch's end, not T0 (pass a larger --lead-seconds)`,
    );
  const unsettled = run.day.subscriptions - run.day.database.subscriptionsSettled;
  if (unsettled > 0) problems.push(`${label}: ${unsettled} of ${run.day.subscriptions} subscriptions not charged and renewed by the deadline`);
  const undelivered = run.events.written - run.events.eventsDelivered;
  if (run.endpoints > 0 && undelivered > 0)
    problems.push(`${label}: ${undelivered} of ${run.events.written} events not delivered to every endpoint by the deadline`);
  return problems;
}

function settingsLine(r: EventsCostReport): string {
  const day = r.with.day;
  const q = day.quota;
  return `${day.subscriptions} subscriptions due at T0, each renewing for next year; Create Charge quota ${q ? `burst ${q.burst}, ${q.ratePerSecond}/s` : 'off'}; webhooks.perEndpointConcurrency ${r.webhookSettings.perEndpointConcurrency}, concurrency ${r.webhookSettings.concurrency}; run order: ${r.order.join(', then ')}.`;
}

export function renderEventsCostMarkdown(report: EventsCostReport): string {
  const m = report.machine;
  const types = (run: EventsCostRun): string =>
    Object.entries(run.events.byType)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ') || 'none';
  const cpuSeconds = (run: EventsCostRun): string => {
    const c = run.day.resourcesFromT0.cpuSeconds;
    return `daemon ${c.worker}, dev server ${c.temporalDevServer}, PostgreSQL ${c.postgres}, receivers ${c.others?.receivers ?? '—'}, bench process ${c.benchProcess}, machine busy ${c.machineBusy} over ${run.day.resourcesFromT0.wallSeconds} s (load average at the end ${run.day.resourcesFromT0.loadAverageAtEnd.join(' / ')})`;
  };
  const problems = [...comparabilityProblems(report.without, 'without endpoints'), ...comparabilityProblems(report.with, 'with endpoints')];
  return [
    `# Billing day without and with webhook delivery (${report.startedAt})`,
    '',
    `Machine: ${m.nproc} cores (${m.cpuModel}), ${m.memoryMiB} MiB, Node ${m.node}, load average at start ${m.loadAverageAtStart.join(' / ')}; commit ${m.commit ?? 'unknown'}.`,
    `Command: \`npm run bench:events -- ${report.argv.join(' ')}\``,
    '',
    settingsLine(report),
    'Without: no webhook endpoint. The events are written all the same (the outbox row is part of the ledger and status writes; there is no switch to turn them off) and the dispatcher runs and moves its fan-out cursor over them, but delivers nothing.',
    'With: the endpoints are registered after the launch, before T0 (they receive the billing day’s events, not the launch’s subscription.started), each on a loopback HTTP receiver in a process of its own.',
    'CPU from T0 until every subscription renewed and, with endpoints, every event of the day was delivered; per charged cycle. Net of idle: less what each process used per second while idle after the run (every workflow asleep for a year), times the run’s wall time, so a run that lasted longer is not charged for its idle seconds.',
    '',
    problems.length === 0
      ? 'Both runs complete: launched before T0, every subscription charged and renewed, every event delivered.'
      : `**Not comparable as they stand:** ${problems.join('; ')}.`,
    '',
    table(['', 'without endpoints', 'with endpoints', 'difference (with − without)'], comparisonRows(report.without, report.with)),
    '',
    `Events written from T0: without: ${types(report.without)}; with: ${types(report.with)}.`,
    `CPU seconds from T0: without: ${cpuSeconds(report.without)}. With: ${cpuSeconds(report.with)}.`,
    '',
  ].join('\n');
}
