// `npm run bench:events`: the pure parts — the event and delivery figures from the rows read after
// a run, CPU per charged cycle by process, and the comparison table of the two billing days.
import { describe, expect, it } from 'vitest';
import type { BillingDayResult } from '../../../bench/billing-day.js';
import { summariseEventDeliveries, type EventDeliveryRow } from '../../../bench/event-figures.js';
import {
  comparabilityProblems,
  comparisonRows,
  cpuPerCycle,
  difference,
  renderEventsCostMarkdown,
  type EventsCostReport,
  type EventsCostRun,
} from '../../../bench/events-cost-report.js';
import type { PhaseFigures } from '../../../bench/meters.js';

const T = Date.parse('2026-11-30T08:00:00.000Z');

function phase(cpu: PhaseFigures['cpuSeconds'], wallSeconds: number): PhaseFigures {
  return { wallSeconds, cpuSeconds: cpu, workerPeakRssMiB: 0, devServerRssMiB: 0, loadAverageAtEnd: [1, 1, 1] };
}

/** A billing day's result with the fields the comparison reads; the rest do not enter it. */
function day(charged: number, fromT0: PhaseFigures): BillingDayResult {
  const ledger = { due: charged, charged, duplicates: 0, misses: 0, unexpected: 0, lastChargeAfterT0Seconds: 40, p99ChargesPerSecond: 25 };
  return {
    subscriptions: charged,
    quota: { burst: 10, ratePerSecond: 25 },
    ledger,
    resourcesFromT0: fromT0,
    launch: { finishedBeforeT0Seconds: 12 },
    database: { subscriptionsSettled: charged },
  } as unknown as BillingDayResult;
}

describe('summariseEventDeliveries', () => {
  // Each delivery row made (fanned out) 250 ms after its event, delivered at `atMs`.
  const delivered = (atMs: number, writtenAtMs: number) => ({ status: 'delivered', attempts: 1, createdAtMs: writtenAtMs + 250, deliveredAtMs: atMs });
  const rows: EventDeliveryRow[] = [
    { type: 'charge.succeeded', writtenAtMs: T, deliveries: [delivered(T + 1_000, T), delivered(T + 2_000, T)] },
    {
      type: 'charge.succeeded',
      writtenAtMs: T + 4_000,
      deliveries: [delivered(T + 5_000, T + 4_000), { status: 'pending', attempts: 2, createdAtMs: T + 7_000, deliveredAtMs: null }],
    },
    { type: 'subscription.past_due', writtenAtMs: T + 6_000, deliveries: [delivered(T + 8_000, T + 6_000), delivered(T + 10_000, T + 6_000)] },
  ];

  it('counts an event delivered only once every endpoint has it, and rates over first event → last delivery', () => {
    const f = summariseEventDeliveries(rows, 2);
    expect(f.written).toBe(3);
    expect(f.byType).toEqual({ 'charge.succeeded': 2, 'subscription.past_due': 1 });
    expect(f.deliveries).toEqual({ total: 6, delivered: 5, pending: 1, failed: 0, attempts: 7 });
    expect(f.eventsDelivered).toBe(2);
    expect(f.spanSeconds).toBe(10);
    expect(f.eventsDeliveredPerSecond).toBe(0.2);
    expect(f.deliveriesPerSecond).toBe(0.5);
    expect(f.lastDeliveryAfterLastEventSeconds).toBe(4);
    // Lags 1, 2, 1, 2, 4 s (the pending one has none).
    expect(f.lagSeconds).toEqual({ p50: 2, p95: 4, p99: 4, max: 4 });
    // Fanned out 0.25 s after each event, the pending delivery's row 3 s after.
    expect(f.fanoutSeconds).toEqual({ p50: 0.25, p95: 3, p99: 3, max: 3 });
  });

  it('without endpoints: events written, nothing delivered, no rates', () => {
    const f = summariseEventDeliveries(
      rows.map((r) => ({ ...r, deliveries: [] })),
      0,
    );
    expect(f).toMatchObject({ written: 3, eventsDelivered: 0, spanSeconds: null, eventsDeliveredPerSecond: null, lagSeconds: null });
    expect(f.deliveries.total).toBe(0);
  });
});

describe('the events-cost comparison', () => {
  const noEvents = summariseEventDeliveries([{ type: 'charge.succeeded', writtenAtMs: T, deliveries: [] }], 0);
  const without: EventsCostRun = {
    endpoints: 0,
    day: day(1000, phase({ worker: 40, temporalDevServer: 45, postgres: 8, benchProcess: 4, machineBusy: 110 }, 60)),
    events: noEvents,
    receivers: null,
  };
  const withEvents: EventsCostRun = {
    endpoints: 2,
    day: day(1000, phase({ worker: 52, temporalDevServer: 45.5, postgres: 11, benchProcess: 4, machineBusy: 125, others: { receivers: 1.5 } }, 70)),
    events: summariseEventDeliveries(
      [
        { type: 'charge.succeeded', writtenAtMs: T, deliveries: [{ status: 'delivered', attempts: 1, createdAtMs: T + 100, deliveredAtMs: T + 500 }] },
        { type: 'charge.succeeded', writtenAtMs: T, deliveries: [{ status: 'delivered', attempts: 1, createdAtMs: T + 100, deliveredAtMs: T + 1_000 }] },
      ],
      1,
    ),
    receivers: [
      { requests: 1, distinctIds: 1 },
      { requests: 1, distinctIds: 1 },
    ],
  };

  it('gives CPU per charged cycle by process, receivers only where measured', () => {
    expect(cpuPerCycle(without)).toEqual({
      daemon: 40,
      temporalDevServer: 45,
      postgres: 8,
      receivers: null,
      benchProcess: 4,
      deliveryPath: 48,
      productTotal: 93,
      machineBusy: 110,
    });
    expect(cpuPerCycle(withEvents)).toEqual({
      daemon: 52,
      temporalDevServer: 45.5,
      postgres: 11,
      receivers: 1.5,
      benchProcess: 4,
      deliveryPath: 63,
      productTotal: 108.5,
      machineBusy: 125,
    });
  });

  it('signs the difference and gives it in per cent of the run without endpoints', () => {
    expect(difference(40, 52)).toBe('+12 (+30 %)');
    expect(difference(8, 6)).toBe('-2 (-25 %)');
    expect(difference(0, 2, 0)).toBe('+2');
    expect(difference(null, 1.5)).toBe('—');
  });

  it('puts both runs and their difference on each row', () => {
    const rows = new Map(comparisonRows(without, withEvents).map(([what, ...rest]) => [what, rest]));
    expect(rows.get('CPU ms per cycle: daemon (billing + webhook dispatcher)')).toEqual([40, 52, '+12 (+30 %)']);
    expect(rows.get('CPU ms per cycle: PostgreSQL')).toEqual([8, 11, '+3 (+38 %)']);
    expect(rows.get('CPU ms per cycle: daemon + dev server + PostgreSQL')).toEqual([93, 108.5, '+15.5 (+17 %)']);
    expect(rows.get('CPU ms per cycle: webhook receivers')).toEqual([null, 1.5, '—']);
    expect(rows.get('wall time, T0 → all done (s)')).toEqual([60, 70, '+10 (+17 %)']);
    expect(rows.get('events delivered per second (first event → last delivery)')).toEqual([null, 2, '—']);
    expect(rows.get('receiver requests / distinct webhook-ids')).toEqual([null, '2 / 2', '']);
    expect(rows.get('CPU ms per cycle: daemon + PostgreSQL (where delivery runs)')).toEqual([48, 63, '+15 (+31 %)']);
    // 15 ms more per cycle (the dev server's 0.5 left out) × 1,000 cycles over the 2 deliveries made.
    expect(rows.get('extra CPU ms per delivery (daemon + PostgreSQL)')).toEqual([null, 7500, '']);
  });

  it("takes off what each process spends idle, at its rate after the run, for the run's wall time", () => {
    const idle = phase({ worker: 0.5, temporalDevServer: 0.2, postgres: 0.1, benchProcess: 0, machineBusy: 5 }, 10);
    const a: EventsCostRun = { ...without, day: { ...without.day, resourcesIdleAfter: idle } };
    const b: EventsCostRun = { ...withEvents, day: { ...withEvents.day, resourcesIdleAfter: idle } };
    // Without: 60 s wall, so 3 s of the daemon's 40 and 0.6 of PostgreSQL's 8 were idle; with: 70 s, 3.5 and 0.7.
    expect(cpuPerCycle(a, { netOfIdle: true })).toMatchObject({ daemon: 37, temporalDevServer: 43.8, postgres: 7.4, deliveryPath: 44.4 });
    expect(cpuPerCycle(b, { netOfIdle: true })).toMatchObject({ daemon: 48.5, postgres: 10.3, deliveryPath: 58.8, receivers: 1.5 });
    expect(cpuPerCycle(without, { netOfIdle: true })).toBeNull();
    const rows = new Map(comparisonRows(a, b).map(([what, ...rest]) => [what, rest]));
    expect(rows.get('idle CPU after the run, ms per s: daemon / dev server / PostgreSQL')).toEqual(['50 / 20 / 10', '50 / 20 / 10', '']);
    expect(rows.get('net of idle, CPU ms per cycle: daemon + PostgreSQL')).toEqual([44.4, 58.8, '+14.4 (+32 %)']);
    expect(rows.get('net of idle, extra CPU ms per delivery (daemon + PostgreSQL)')).toEqual([null, 7200, '']);
    // Not measured: the rows say so instead of a figure.
    expect(new Map(comparisonRows(without, withEvents).map(([what, ...rest]) => [what, rest])).get('net of idle, CPU ms per cycle: daemon')).toEqual([
      null,
      null,
      '—',
    ]);
  });

  it('names what makes a run not comparable: a launch past T0, unsettled subscriptions, undelivered events', () => {
    expect(comparabilityProblems(without, 'without')).toEqual([]);
    expect(comparabilityProblems(withEvents, 'with')).toEqual([]);
    const late: EventsCostRun = {
      ...withEvents,
      day: {
        ...withEvents.day,
        launch: { ...withEvents.day.launch, finishedBeforeT0Seconds: -25.2 },
        database: { ...withEvents.day.database, subscriptionsSettled: 994 },
      },
      events: { ...withEvents.events, written: 3 },
    };
    const problems = comparabilityProblems(late, 'with');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('with: the launch finished 25.2 s after T0');
    expect(problems[1]).toBe('with: 6 of 1000 subscriptions not charged and renewed by the deadline');
    expect(problems[2]).toBe('with: 1 of 3 events not delivered to every endpoint by the deadline');
    expect(renderEventsCostMarkdown(report(without, late))).toContain('**Not comparable as they stand:** with endpoints: the launch finished 25.2 s after T0');
  });

  function report(a: EventsCostRun, b: EventsCostRun): EventsCostReport {
    return {
      startedAt: '2026-11-30T08:00:00.000Z',
      finishedAt: '2026-11-30T08:06:00.000Z',
      machine: { nproc: 2, cpuModel: 'AMD EPYC', memoryMiB: 24105, node: 'v20.20.2', loadAverageAtStart: [1, 2, 3], commit: 'abc1234' },
      argv: ['--subscriptions', '1000'],
      order: ['without', 'with'],
      webhookSettings: { perEndpointConcurrency: 4, concurrency: 32 },
      without: a,
      with: b,
    };
  }

  it('renders the table with the command and what the baseline is', () => {
    const md = renderEventsCostMarkdown(report(without, withEvents));
    expect(md).toContain('Command: `npm run bench:events -- --subscriptions 1000`');
    expect(md).toContain('there is no switch to turn them off');
    expect(md).toContain('| CPU ms per cycle: daemon (billing + webhook dispatcher) | 40 | 52 | +12 (+30 %) |');
    expect(md).toContain('run order: without, then with');
    expect(md).toContain('Both runs complete');
  });
});
