// What the billing forecast costs the daemon's event loop (GET /v1/dashboard runs it in the
// daemon): expanding subscription rows into due instants (client/subscriptions/forecast-cycles.ts)
// and the queue model (billing/forecast.ts), without the database. Prints figures;
// `npx tsx bench/forecast-cost.ts`. The due times of ledger rows (client/subscriptions/ledger-due.ts) too.
import { forecastBillingDays } from '../billing/forecast.js';
import { addRowCharges, type DueRow } from '../client/subscriptions/forecast-cycles.js';
import { ledgerDueTimes } from '../client/subscriptions/ledger-due.js';

const from = new Date('2026-12-01T00:00:00Z');
const until = new Date(from.getTime() + 7 * 86_400_000);
// An active subscription from 2026-11-30 00:00 New York whose next cycle is due at `next`.
const row = (unit: string, count: number, next: string): DueRow => {
  const schedule = { anchor_local: '2026-11-30T00:00:00', anchor_zone: 'America/New_York', interval_unit: unit, interval_count: count, trial: null };
  const progress = { next_billing_at: next, current_cycle: 0, first_charge_id: null, retry_at: null, interval_changed: false };
  return { status: 'active', ...schedule, ...progress, end_after_cycles: null, end_at: null };
};

const cases: [string, DueRow[], number][] = [
  ['one sandbox plan billed every 5 s, at 1/s', [row('second', 5, '2026-12-01T05:00:00Z')], 1],
  ['one sandbox plan billed every second, at 0.5/s (a backlog all week)', [row('second', 1, '2026-12-01T05:00:00Z')], 0.5],
  [
    '2,000 monthly + 200 daily subscriptions, at 1/s',
    [
      ...Array.from({ length: 2000 }, () => row('month', 1, '2026-12-03T05:00:00Z')),
      ...Array.from({ length: 200 }, () => row('day', 1, '2026-12-01T05:00:00Z')),
    ],
    1,
  ],
];
for (const [label, rows, ratePerSecond] of cases) {
  const t0 = performance.now();
  const due: number[] = [];
  const memo = new Map();
  for (const r of rows) addRowCharges(r, until.getTime(), due, memo);
  const t1 = performance.now();
  const f = forecastBillingDays({ dueAtMs: due, from, until, ratePerSecond });
  const t2 = performance.now();
  const total = t2 - t0;
  console.log(
    `${label}: ${f.totalDue} charges; cycles ${(t1 - t0).toFixed(0)} ms, model ${(t2 - t1).toFixed(0)} ms, ` +
      `total ${total.toFixed(0)} ms = ${((total * 1000) / f.totalDue).toFixed(2)} µs/charge`,
  );
}

// The ledger side (capacity evidence, the dashboard's billing lag): the due time of each ledger row.
const dueOf = ledgerDueTimes();
const t0 = performance.now();
const ledgerRows = 128_000;
for (let cycle = 0; cycle < ledgerRows; cycle++) {
  dueOf({
    cycle,
    anchor_local: '2026-11-01T00:00:00',
    anchor_zone: 'America/New_York',
    interval_unit: 'second',
    interval_count: 1,
    trial: null,
    plan_changed: false,
  });
}
const ledgerMs = performance.now() - t0;
console.log(
  `ledger due times of ${ledgerRows} rows of a plan billed every second: ${ledgerMs.toFixed(0)} ms = ${((ledgerMs * 1000) / ledgerRows).toFixed(2)} µs/row`,
);
