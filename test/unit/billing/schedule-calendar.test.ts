// Month-end clamping, leap years, trials and end rules. DST cases live in schedule-dst.test.ts.
import { describe, expect, it } from 'vitest';
import { billingInstant, cycleDueAt, firstBillingAnchor, isCycleBeforeEnd, scheduleWindow } from '../../../billing/schedule.js';
import type { BillingAnchor, BillingInterval, SubscriptionSpec } from '../../../billing/types.js';

const utcIso = (anchor: BillingAnchor, interval: BillingInterval, n: number): string | null => billingInstant(anchor, interval, n).toISO();

const monthly: BillingInterval = { unit: 'month', count: 1 };

describe('monthly from Jan 31 (clamped to month end, never chained)', () => {
  const anchor: BillingAnchor = { localDateTime: '2024-01-31T09:00', zone: 'UTC' };
  it.each([
    [0, '2024-01-31T09:00:00.000Z', 'anchor itself'],
    [1, '2024-02-29T09:00:00.000Z', 'leap-year February clamps to the 29th'],
    [2, '2024-03-31T09:00:00.000Z', 'March returns to the 31st'],
    [3, '2024-04-30T09:00:00.000Z', 'April clamps to the 30th'],
    [4, '2024-05-31T09:00:00.000Z', 'May returns to the 31st'],
    [12, '2025-01-31T09:00:00.000Z', 'one year later'],
    [13, '2025-02-28T09:00:00.000Z', 'non-leap February clamps to the 28th'],
    [14, '2025-03-31T09:00:00.000Z', 'March after a non-leap February returns to the 31st'],
    [15, '2025-04-30T09:00:00.000Z', 'April 2025 clamps to the 30th'],
  ])('cycle %i is %s (%s)', (n, expected) => {
    expect(utcIso(anchor, monthly, n)).toBe(expected);
  });

  it('keeps the wall time in the buyer zone across the leap February and DST (America/New_York)', () => {
    const ny: BillingAnchor = { localDateTime: '2024-01-31T09:00', zone: 'America/New_York' };
    expect(utcIso(ny, monthly, 1)).toBe('2024-02-29T14:00:00.000Z'); // EST
    expect(utcIso(ny, monthly, 2)).toBe('2024-03-31T13:00:00.000Z'); // EDT
    expect(utcIso(ny, monthly, 13)).toBe('2025-02-28T14:00:00.000Z');
  });
});

describe('quarterly and multi-month counts multiply from the anchor', () => {
  it.each([
    [1, '2024-02-29T00:00:00.000Z'],
    [2, '2024-05-30T00:00:00.000Z'],
    [4, '2024-11-30T00:00:00.000Z'],
    [5, '2025-02-28T00:00:00.000Z'],
  ])('every 3 months from Nov 30 2023, cycle %i is %s', (n, expected) => {
    expect(utcIso({ localDateTime: '2023-11-30T00:00', zone: 'UTC' }, { unit: 'month', count: 3 }, n)).toBe(expected);
  });
});

describe('yearly from Feb 29', () => {
  const anchor: BillingAnchor = { localDateTime: '2024-02-29T12:30:15', zone: 'UTC' };
  it.each([
    [1, '2025-02-28T12:30:15.000Z', 'non-leap year clamps to Feb 28'],
    [2, '2026-02-28T12:30:15.000Z', 'still Feb 28'],
    [3, '2027-02-28T12:30:15.000Z', 'still Feb 28'],
    [4, '2028-02-29T12:30:15.000Z', 'next leap year returns to Feb 29'],
    [76, '2100-02-28T12:30:15.000Z', '2100 is not a leap year'],
  ])('cycle %i is %s (%s)', (n, expected) => {
    expect(utcIso(anchor, { unit: 'year', count: 1 }, n)).toBe(expected);
  });
});

describe('cycle arguments', () => {
  const anchor: BillingAnchor = { localDateTime: '2025-01-01T00:00', zone: 'UTC' };
  it.each([-1, 1.5, Number.NaN])('rejects cycle %s', (n) => {
    expect(() => billingInstant(anchor, monthly, n)).toThrow(/Invalid cycle .*whole number ≥ 0/);
  });

  it('rejects a malformed anchor with the field and the accepted format', () => {
    expect(() => billingInstant({ localDateTime: '2025-02-30T00:00', zone: 'UTC' }, monthly, 0)).toThrow(
      /anchor.localDateTime must be a real wall-clock date and time 'YYYY-MM-DDTHH:mm'/,
    );
  });

  it('rejects an unknown zone', () => {
    expect(() => billingInstant({ localDateTime: '2025-01-01T00:00', zone: 'Mars/Olympus' }, monthly, 0)).toThrow(/anchor.zone must be an IANA time zone name/);
  });

  it('rejects an interval with count 0', () => {
    expect(() => billingInstant(anchor, { unit: 'month', count: 0 }, 1)).toThrow(/Invalid interval/);
  });
});

describe('trial', () => {
  const spec = (trial?: BillingInterval): Pick<SubscriptionSpec, 'anchor' | 'trial' | 'plan'> => ({
    anchor: { localDateTime: '2025-01-31T10:00', zone: 'UTC' },
    ...(trial ? { trial } : {}),
    plan: { amountMinor: '1400', currency: 'USD', interval: monthly },
  });

  it('without a trial, cycle 0 is due at the start', () => {
    expect(firstBillingAnchor(spec())).toEqual({ localDateTime: '2025-01-31T10:00', zone: 'UTC' });
    expect(cycleDueAt(spec(), 0).toISO()).toBe('2025-01-31T10:00:00.000Z');
  });

  it('a 14-day trial moves cycle 0 to the trial end and bills monthly from there', () => {
    const s = spec({ unit: 'day', count: 14 });
    expect(firstBillingAnchor(s)).toEqual({ localDateTime: '2025-02-14T10:00:00', zone: 'UTC' });
    expect(cycleDueAt(s, 0).toISO()).toBe('2025-02-14T10:00:00.000Z');
    expect(cycleDueAt(s, 1).toISO()).toBe('2025-03-14T10:00:00.000Z');
  });

  it('a 1-month trial from Jan 31 ends Feb 28; the start day (31st) stays the billing day', () => {
    const s = spec({ unit: 'month', count: 1 });
    expect(cycleDueAt(s, 0).toISO()).toBe('2025-02-28T10:00:00.000Z');
    expect(cycleDueAt(s, 1).toISO()).toBe('2025-03-31T10:00:00.000Z');
  });

  it('a 7-day trial ending inside the DST gap keeps the wall time for later cycles', () => {
    const s: Pick<SubscriptionSpec, 'anchor' | 'trial' | 'plan'> = {
      anchor: { localDateTime: '2025-03-02T02:30', zone: 'America/New_York' },
      trial: { unit: 'day', count: 7 },
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'week', count: 1 } },
    };
    expect(firstBillingAnchor(s).localDateTime).toBe('2025-03-09T02:30:00');
    expect(cycleDueAt(s, 0).toISO()).toBe('2025-03-09T07:30:00.000Z'); // 03:30 EDT
    expect(cycleDueAt(s, 1).toISO()).toBe('2025-03-16T06:30:00.000Z'); // 02:30 EDT
  });

  it('a 90-second sandbox trial is elapsed time', () => {
    const s = spec({ unit: 'second', count: 90 });
    expect(firstBillingAnchor(s).localDateTime).toBe('2025-01-31T10:01:30');
  });
});

describe('end rules', () => {
  const base: Pick<SubscriptionSpec, 'anchor' | 'plan'> = {
    anchor: { localDateTime: '2025-01-15T00:00', zone: 'UTC' },
    plan: { amountMinor: '1400', currency: 'USD', interval: monthly },
  };

  it('afterCycles 3 bills cycles 0, 1 and 2 only', () => {
    const s = { ...base, end: { afterCycles: 3 } };
    expect([0, 1, 2, 3, 4].map((n) => isCycleBeforeEnd(s, n))).toEqual([true, true, true, false, false]);
  });

  it('end.at is exclusive: a cycle due exactly at the end is not billed', () => {
    const s = { ...base, end: { at: '2025-03-15T00:00:00Z' } };
    expect([0, 1, 2].map((n) => isCycleBeforeEnd(s, n))).toEqual([true, true, false]);
  });

  it('end.at with an offset is compared as an instant', () => {
    const s = { ...base, end: { at: '2025-03-15T01:00:00+02:00' } }; // 2025-03-14T23:00Z
    expect(isCycleBeforeEnd(s, 2)).toBe(false);
    expect(isCycleBeforeEnd(s, 1)).toBe(true);
  });

  it('no end bills forever', () => {
    expect(isCycleBeforeEnd(base, 100_000)).toBe(true);
  });
});

describe('scheduleWindow', () => {
  it('previews cycles with UTC instant, local time with offset, and zone', () => {
    const window = scheduleWindow({ localDateTime: '2025-01-31T09:00', zone: 'Europe/Berlin' }, monthly, 1, 3);
    expect(window).toEqual([
      { cycle: 1, dueAt: '2025-02-28T08:00:00.000Z', local: '2025-02-28T09:00:00.000+01:00', zone: 'Europe/Berlin' },
      { cycle: 2, dueAt: '2025-03-31T07:00:00.000Z', local: '2025-03-31T09:00:00.000+02:00', zone: 'Europe/Berlin' },
      { cycle: 3, dueAt: '2025-04-30T07:00:00.000Z', local: '2025-04-30T09:00:00.000+02:00', zone: 'Europe/Berlin' },
    ]);
  });

  it('rejects a window larger than 10,000 cycles', () => {
    expect(() => scheduleWindow({ localDateTime: '2025-01-31T09:00', zone: 'UTC' }, monthly, 0, 10_001)).toThrow(/Invalid window size 10001/);
  });
});
