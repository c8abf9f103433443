// billing/forecast.ts: the token-bucket model of the charges queue, by hand-computed cases.
import { describe, expect, it } from 'vitest';
import { forecastBillingDays } from '../../../billing/forecast.js';
import { isLatePeak, minPeakLatenessFor } from '../../../client/subscriptions/forecast.js';
import { addRowCharges, type DueRow } from '../../../client/subscriptions/forecast-cycles.js';
import { ledgerDueTimes } from '../../../client/subscriptions/ledger-due.js';
import { cycleDueAt } from '../../../billing/schedule.js';

const from = new Date('2026-12-01T00:00:00Z');
const until = new Date('2026-12-08T00:00:00Z');
const at = (iso: string): number => Date.parse(iso);

describe('forecastBillingDays', () => {
  it('a billing day of 5,000 charges due at once at 50/s with a burst of 10 finishes (5000 - 10) / 50 = 99.8 s later', () => {
    const t0 = at('2026-12-01T09:00:00Z');
    const f = forecastBillingDays({ dueAtMs: Array.from({ length: 5000 }, () => t0), from, until, ratePerSecond: 50, burst: 10 });
    expect(f.totalDue).toBe(5000);
    const hour = f.hours[9]!;
    expect(hour.due).toBe(5000);
    expect(hour.capacity).toBe(180_000);
    expect(hour.maxLatenessSeconds).toBeCloseTo(99.8, 6);
    expect(f.peaks).toHaveLength(1);
    expect(f.peaks[0]!.charges).toBe(5000);
    expect(f.peaks[0]!.finishesAt.getTime()).toBeCloseTo(t0 + 99_800, 0);
  });

  it('a wake-up delay shifts every send: 5,000 at once with 3 s of wake-up finish 3 s later, and two peaks 10 s apart stay apart', () => {
    const t0 = at('2026-12-01T09:00:00Z');
    const f = forecastBillingDays({ dueAtMs: Array.from({ length: 5000 }, () => t0), from, until, ratePerSecond: 50, burst: 10, wakeUpSeconds: 3 });
    expect(f.hours[9]!.maxLatenessSeconds).toBeCloseTo(102.8, 6);
    expect(f.peaks[0]!.finishesAt.getTime()).toBeCloseTo(t0 + 102_800, 0);
    // 5 charges at T0 and 5 at T0 + 10 s, 50/s, burst 10: each sent at once 3 s after due, no wait between.
    const small = forecastBillingDays({
      dueAtMs: [...Array(5).fill(t0), ...Array(5).fill(t0 + 10_000)],
      from,
      until,
      ratePerSecond: 50,
      burst: 10,
      wakeUpSeconds: 3,
      minPeakLatenessSeconds: 0,
    });
    expect(small.peaks.map((p) => [p.charges, (p.finishesAt.getTime() - p.startsAt.getTime()) / 1000])).toEqual([
      [5, 3],
      [5, 3],
    ]);
  });

  it('a peak larger than an hour of quota leaves a backlog for the next hours', () => {
    // 4/s: 14,400 an hour. 20,000 due at 10:00 → 5,600 still waiting at 11:00, the last sent at 10:00 + (20000 - 4) / 4 s.
    const t0 = at('2026-12-02T10:00:00Z');
    const f = forecastBillingDays({ dueAtMs: Array.from({ length: 20_000 }, () => t0), from, until, ratePerSecond: 4 });
    const tenOClock = f.hours[34]!;
    const eleven = f.hours[35]!;
    expect(tenOClock.due).toBe(20_000);
    expect(eleven.due).toBe(0);
    expect(eleven.backlogAtStart).toBe(20_000 - 4 - 14_400 + 1);
    expect(tenOClock.maxLatenessSeconds).toBeCloseTo((20_000 - 4) / 4, 6);
  });

  it('charges spread slower than the quota are never late and make no peak', () => {
    const dueAtMs = Array.from({ length: 1000 }, (_, i) => at('2026-12-03T00:00:00Z') + i * 1000);
    const f = forecastBillingDays({ dueAtMs, from, until, ratePerSecond: 4 });
    expect(f.peaks).toEqual([]);
    expect(Math.max(...f.hours.map((h) => h.maxLatenessSeconds ?? 0))).toBe(0);
  });

  it('overdue charges count as due at the start; charges after the window are left out', () => {
    const f = forecastBillingDays({ dueAtMs: [at('2026-11-30T00:00:00Z'), at('2026-12-09T00:00:00Z')], from, until, ratePerSecond: 1 });
    expect(f.totalDue).toBe(1);
    expect(f.hours[0]!.due).toBe(1);
  });

  it('refuses a rate of 0 and an empty window', () => {
    expect(() => forecastBillingDays({ dueAtMs: [], from, until, ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => forecastBillingDays({ dueAtMs: [], from, until: from, ratePerSecond: 1 })).toThrow(RangeError);
  });

  it('a peak is as late as its longest wait: renewals due after the backlog do not hide it (2,000 at 09:00 at 1/s, one a minute 09:05–09:33)', () => {
    const t0 = at('2026-12-01T09:00:00Z');
    const bulk = Array.from({ length: 2000 }, () => t0);
    const renewals = Array.from({ length: 29 }, (_, i) => t0 + (5 + i) * 60_000);
    const alone = forecastBillingDays({ dueAtMs: bulk, from, until, ratePerSecond: 1 });
    const mixed = forecastBillingDays({ dueAtMs: [...bulk, ...renewals], from, until, ratePerSecond: 1 });
    expect(alone.peaks).toHaveLength(1);
    expect(alone.peaks[0]!.maxLatenessSeconds).toBeCloseTo(1999, 6);
    expect(mixed.peaks).toHaveLength(1);
    expect(mixed.peaks[0]!.maxLatenessSeconds).toBeCloseTo(1999, 6);
    expect(mixed.peaks[0]!.charges).toBe(2029);
    // The time the last charge is sent stays what the bench compares: 2,028 sent from 09:00 on at 1/s.
    expect(mixed.peaks[0]!.finishesAt.getTime()).toBe(t0 + 2028_000);
    // The hour's column is its worst wait too, not its last-due charge's.
    expect(mixed.hours[9]!.maxLatenessSeconds).toBeCloseTo(1999, 6);
  });

  it('a window in the future counts only the charges due in it; charges due before it are simulated from simulateFrom, not piled up at from', () => {
    // One charge a minute from now (00:00) to 12:00, at 1/s: all on time, so nothing is waiting at 12:00.
    const perMinute = Array.from({ length: 12 * 60 }, (_, i) => at('2026-12-01T00:00:00Z') + i * 60_000);
    const noon = new Date('2026-12-01T12:00:00Z');
    const dueAtMs = [...perMinute, at('2026-12-01T12:30:00Z')];
    const f = forecastBillingDays({ dueAtMs, from: noon, until, simulateFrom: from, ratePerSecond: 1 });
    expect(f.totalDue).toBe(1);
    expect(f.peaks).toEqual([]);
    expect(f.hours[0]).toMatchObject({ due: 1, backlogAtStart: 0, maxLatenessSeconds: 0 });
    // A real backlog carries into the window: 7,200 due at 11:30 at 1/s are still 5,399 waiting at 12:00 → one peak.
    const busy = forecastBillingDays({
      dueAtMs: Array.from({ length: 7200 }, () => at('2026-12-01T11:30:00Z')),
      from: noon,
      until,
      simulateFrom: from,
      ratePerSecond: 1,
    });
    expect(busy.totalDue).toBe(0);
    expect(busy.hours[0]!.backlogAtStart).toBe(7200 - 1 - 1800 + 1);
    expect(busy.peaks).toHaveLength(1);
    expect(() => forecastBillingDays({ dueAtMs, from, until, simulateFrom: noon, ratePerSecond: 1 })).toThrow(RangeError);
  });

  it('charges due at one instant are one batch: the same sends as one at a time (3,000 at once, 500 spread, one overdue; 3/s, burst 5)', () => {
    const t0 = at('2026-12-02T10:00:00Z');
    const dueAtMs = [
      ...Array.from({ length: 3000 }, () => t0),
      ...Array.from({ length: 500 }, (_, i) => t0 + 1_000_000 + i * 7_000),
      at('2026-11-29T00:00:00Z'),
    ];
    const f = forecastBillingDays({ dueAtMs, from, until, ratePerSecond: 3, burst: 5 });
    expect(f.totalDue).toBe(3501);
    // Overdue one at 00:00 (a token), then 3,000 at 10:00 with 5 tokens: the last waits (3000 - 5) / 3 s.
    expect(f.hours[34]!.maxLatenessSeconds).toBeCloseTo((3000 - 5) / 3, 6);
    expect(f.hours[34]!.lastChargeSentAt!.getTime()).toBe(t0 + 1_000_000 + 371 * 7_000); // the spread ones go on time
    expect(f.hours[35]!.due).toBe(500 - 372);
    expect(f.peaks.map((p) => p.charges)).toEqual([3000]);
    expect(f.hours[35]!.backlogAtStart).toBe(0);
  });

  it('hours start on the clock hour (UTC) when the window does not', () => {
    const f = forecastBillingDays({ dueAtMs: [at('2026-12-01T07:05:00Z')], from: new Date('2026-12-01T06:31:40Z'), until, ratePerSecond: 1 });
    expect(f.hours[0]!.hourStart.toISOString()).toBe('2026-12-01T06:00:00.000Z');
    expect(f.hours[1]).toMatchObject({ hourStart: new Date('2026-12-01T07:00:00Z'), due: 1 });
  });
});

describe('minPeakLatenessFor', () => {
  it('a --warn-after under a minute still sees its peaks: 100 charges at 2/s wait 49 s, a peak for a 30 s warning, none by default', () => {
    const dueAtMs = Array.from({ length: 100 }, () => at('2026-12-01T09:00:00Z'));
    expect(forecastBillingDays({ dueAtMs, from, until, ratePerSecond: 2 }).peaks).toEqual([]);
    expect(minPeakLatenessFor(30_000)).toBe(30);
    expect(minPeakLatenessFor(30 * 60_000)).toBe(60);
    const f = forecastBillingDays({ dueAtMs, from, until, ratePerSecond: 2, minPeakLatenessSeconds: minPeakLatenessFor(30_000) });
    expect(f.peaks).toHaveLength(1);
    expect(f.minPeakLatenessSeconds).toBe(30);
    expect(isLatePeak(f.peaks[0]!, 30_000)).toBe(true);
  });
});

describe('addRowCharges (which charges a subscription row asks for)', () => {
  const row = (fields: Partial<DueRow>): DueRow => ({
    status: 'active',
    next_billing_at: null,
    retry_at: null,
    anchor_local: '2026-01-01T09:00:00',
    anchor_zone: 'UTC',
    interval_unit: 'day',
    interval_count: 1,
    end_after_cycles: null,
    end_at: null,
    current_cycle: 0,
    trial: null,
    first_charge_id: null,
    interval_changed: false,
    ...fields,
  });
  const charges = (r: DueRow, untilIso: string) => {
    const due: number[] = [];
    addRowCharges(r, at(untilIso), due);
    const counts = new Map<number, number>();
    for (const ms of due.sort((a, b) => a - b)) counts.set(ms, (counts.get(ms) ?? 0) + 1);
    return [...counts].map(([ms, n]) => `${new Date(ms).toISOString().slice(5, 16)}×${n}`);
  };

  it('past_due: nothing until the scheduled retry, which charges the declined cycle and the cycles due meanwhile; later cycles at their time', () => {
    // Daily at 09:00, cycle 333 (2026-11-30 09:00) declined, retry on 12-02 12:00.
    const pastDue = row({ status: 'past_due', next_billing_at: '2026-11-30T09:00:00Z', current_cycle: 333, retry_at: '2026-12-02T12:00:00Z' });
    expect(charges(pastDue, '2026-12-05T00:00:00Z')).toEqual(['12-02T12:00×3', '12-03T09:00×1', '12-04T09:00×1']);
    // No retry recorded (the workflow waits on something else): nothing.
    expect(charges({ ...pastDue, retry_at: null }, '2026-12-05T00:00:00Z')).toEqual([]);
  });

  it('after a plan change, later cycles follow the current segment (from the current cycle), not the original anchor with the new interval', () => {
    // Monthly from 2026-01-28 (a Wednesday) 09:00, changed to weekly from cycle 10 (2026-11-28, a Saturday): cycle 11 on 12-05, 12 on 12-12.
    const changed = row({
      interval_unit: 'week',
      next_billing_at: '2026-12-05T09:00:00Z',
      current_cycle: 11,
      anchor_local: '2026-01-28T09:00:00',
      interval_changed: true,
    });
    expect(charges(changed, '2026-12-15T00:00:00Z')).toEqual(['12-05T09:00×1', '12-12T09:00×1']);
  });

  it('a sandbox plan billed every second: cycles by arithmetic, one instant each', () => {
    const perSecond = row({ interval_unit: 'second', next_billing_at: '2026-12-01T00:00:00Z', anchor_local: '2026-11-30T00:00:00', current_cycle: 86_400 });
    const due: number[] = [];
    addRowCharges(perSecond, at('2026-12-02T00:00:00Z'), due);
    expect(due).toHaveLength(86_400);
    expect(due[86_399]).toBe(at('2026-12-01T23:59:59Z'));
  });
});

describe('ledgerDueTimes', () => {
  it('the cycles of second/minute/hour plans are added to cycle 0: the same instants as cycleDueAt, across a DST change and after a trial', () => {
    const dueOf = ledgerDueTimes();
    for (const [unit, count] of [
      ['second', 1],
      ['minute', 7],
      ['hour', 5],
      ['day', 1],
    ] as const) {
      const trial = { unit: 'hour' as const, count: 3 };
      const spec = { anchor: { localDateTime: '2026-10-31T23:30:00', zone: 'America/New_York' }, trial, plan: { interval: { unit, count } } };
      for (const cycle of [0, 1, 2, 700, 86_400 * 3 + 17]) {
        const row = {
          cycle,
          anchor_local: spec.anchor.localDateTime,
          anchor_zone: spec.anchor.zone,
          interval_unit: unit,
          interval_count: count,
          trial,
          plan_changed: false,
        };
        expect(dueOf(row), `${unit} ×${count} cycle ${cycle}`).toBe(cycleDueAt(spec as Parameters<typeof cycleDueAt>[0], cycle).toMillis());
      }
    }
  });
});

describe('isLatePeak', () => {
  it('a peak is late only when one of its charges goes out more than warnAfter after it is due', () => {
    expect(isLatePeak({ maxLatenessSeconds: 1800 }, 30 * 60_000)).toBe(false);
    expect(isLatePeak({ maxLatenessSeconds: 1800.5 }, 30 * 60_000)).toBe(true);
    expect(isLatePeak({ maxLatenessSeconds: 120 }, 60_000)).toBe(true);
  });
});
