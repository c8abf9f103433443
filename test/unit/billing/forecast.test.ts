// billing/forecast.ts: the token-bucket model of the charges queue, by hand-computed cases.
import { describe, expect, it } from 'vitest';
import { forecastBillingDays } from '../../../billing/forecast.js';
import { isLatePeak } from '../../../client/subscriptions/forecast.js';

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
    expect(hour.lastChargeLatenessSeconds).toBeCloseTo(99.8, 6);
    expect(f.peaks).toHaveLength(1);
    expect(f.peaks[0]!.charges).toBe(5000);
    expect(f.peaks[0]!.finishesAt.getTime()).toBeCloseTo(t0 + 99_800, 0);
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
    expect(tenOClock.lastChargeLatenessSeconds).toBeCloseTo((20_000 - 4) / 4, 6);
  });

  it('charges spread slower than the quota are never late and make no peak', () => {
    const dueAtMs = Array.from({ length: 1000 }, (_, i) => at('2026-12-03T00:00:00Z') + i * 1000);
    const f = forecastBillingDays({ dueAtMs, from, until, ratePerSecond: 4 });
    expect(f.peaks).toEqual([]);
    expect(Math.max(...f.hours.map((h) => h.lastChargeLatenessSeconds ?? 0))).toBe(0);
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

  it('hours start on the clock hour (UTC) when the window does not', () => {
    const f = forecastBillingDays({ dueAtMs: [at('2026-12-01T07:05:00Z')], from: new Date('2026-12-01T06:31:40Z'), until, ratePerSecond: 1 });
    expect(f.hours[0]!.hourStart.toISOString()).toBe('2026-12-01T06:00:00.000Z');
    expect(f.hours[1]).toMatchObject({ hourStart: new Date('2026-12-01T07:00:00Z'), due: 1 });
  });
});

describe('isLatePeak', () => {
  it('a peak is late only when its last charge goes out more than warnAfter after it is due', () => {
    expect(isLatePeak({ lastChargeLatenessSeconds: 1800 }, 30 * 60_000)).toBe(false);
    expect(isLatePeak({ lastChargeLatenessSeconds: 1800.5 }, 30 * 60_000)).toBe(true);
    expect(isLatePeak({ lastChargeLatenessSeconds: 120 }, 60_000)).toBe(true);
  });
});
