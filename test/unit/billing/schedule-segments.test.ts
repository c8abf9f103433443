// Plan changes and resumes on a segmented schedule (billing/segments.ts): a new segment keeps
// the subscription's wall-clock intent, and the first cycle due after a pause is found by search.
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { dueAtForCycle, firstCycleDueFrom, rebaseSegments, type ScheduleSegment } from '../../../billing/segments.js';
import { cycleDueAt, firstBillingAnchor } from '../../../billing/schedule.js';

const NY = 'America/New_York';
const local = (segments: ScheduleSegment[], cycles: number[]): string[] =>
  cycles.map((n) => dueAtForCycle(segments, n).setZone(NY).toFormat("yyyy-MM-dd'T'HH:mm"));

describe('a plan change keeps the billing date (issue 13 §3)', () => {
  const monthlyJan31: ScheduleSegment[] = [{ fromCycle: 0, anchor: { localDateTime: '2025-01-31T09:00', zone: NY }, interval: { unit: 'month', count: 1 } }];

  it('monthly from Jan 31, changed at the pending Feb 28 cycle to monthly: Feb 28, Mar 31, Apr 30, May 31 (no rebase at all)', () => {
    const changed = rebaseSegments(monthlyJan31, 1, { unit: 'month', count: 1 });
    expect(changed).toEqual(monthlyJan31);
    expect(local(changed, [1, 2, 3, 4])).toEqual(['2025-02-28T09:00', '2025-03-31T09:00', '2025-04-30T09:00', '2025-05-31T09:00']);
  });

  it('monthly from Jan 31, changed at Feb 28 to every 2 months: the 31st stays the intent (Feb 28, Apr 30, Jun 30, Aug 31)', () => {
    const changed = rebaseSegments(monthlyJan31, 1, { unit: 'month', count: 2 });
    expect(changed[1]).toEqual({
      fromCycle: 1,
      anchor: { localDateTime: '2025-02-28T09:00:00', zone: NY, dayOfMonth: 31 },
      interval: { unit: 'month', count: 2 },
    });
    expect(local(changed, [1, 2, 3, 4])).toEqual(['2025-02-28T09:00', '2025-04-30T09:00', '2025-06-30T09:00', '2025-08-31T09:00']);
  });

  it('monthly → yearly from a clamped Feb 28 keeps the 31st; a change back to monthly keeps it too', () => {
    const yearly = rebaseSegments(monthlyJan31, 1, { unit: 'year', count: 1 });
    expect(local(yearly, [1, 2])).toEqual(['2025-02-28T09:00', '2026-02-28T09:00']);
    const monthlyAgain = rebaseSegments(yearly, 2, { unit: 'month', count: 1 });
    expect(local(monthlyAgain, [2, 3, 4])).toEqual(['2026-02-28T09:00', '2026-03-31T09:00', '2026-04-30T09:00']);
  });

  it('monthly → weekly from a clamped date bills weekly from that date; the weekday is the intent there', () => {
    const weekly = rebaseSegments(monthlyJan31, 1, { unit: 'week', count: 1 });
    expect(weekly[1]?.anchor).toEqual({ localDateTime: '2025-02-28T09:00:00', zone: NY });
    expect(local(weekly, [1, 2, 3])).toEqual(['2025-02-28T09:00', '2025-03-07T09:00', '2025-03-14T09:00']);
  });

  const daily0230: ScheduleSegment[] = [{ fromCycle: 0, anchor: { localDateTime: '2025-03-01T02:30', zone: NY }, interval: { unit: 'day', count: 1 } }];

  it('daily 02:30 New York, changed at the cycle the spring gap moved to 03:30, bills 02:30 afterwards', () => {
    expect(local(daily0230, [8])).toEqual(['2025-03-09T03:30']); // the gap cycle
    const everyTwoDays = rebaseSegments(daily0230, 8, { unit: 'day', count: 2 });
    expect(everyTwoDays[1]?.anchor).toEqual({ localDateTime: '2025-03-09T02:30:00', zone: NY });
    expect(local(everyTwoDays, [8, 9, 10])).toEqual(['2025-03-09T03:30', '2025-03-11T02:30', '2025-03-13T02:30']);
    const stillDaily = rebaseSegments(daily0230, 8, { unit: 'day', count: 1 });
    expect(local(stillDaily, [8, 9, 10])).toEqual(['2025-03-09T03:30', '2025-03-10T02:30', '2025-03-11T02:30']);
  });

  it('a change from a sandbox elapsed-time interval anchors at the wall time that cycle shows', () => {
    const hourly: ScheduleSegment[] = [{ fromCycle: 0, anchor: { localDateTime: '2025-03-09T00:30', zone: NY }, interval: { unit: 'hour', count: 1 } }];
    const daily = rebaseSegments(hourly, 2, { unit: 'day', count: 1 });
    expect(daily[1]?.anchor).toEqual({ localDateTime: '2025-03-09T03:30:00', zone: NY }); // 00:30 + 2 h elapsed crosses the gap
  });
});

describe('a trial that ends on a clamped date keeps the start day of month', () => {
  const spec = {
    anchor: { localDateTime: '2025-01-31T10:00', zone: 'UTC' },
    trial: { unit: 'month', count: 1 },
    plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } },
  } as const;
  it('a 1-month trial from Jan 31 ends Feb 28; monthly billing then returns to the 31st', () => {
    expect(firstBillingAnchor(spec)).toEqual({ localDateTime: '2025-02-28T10:00:00', zone: 'UTC', dayOfMonth: 31 });
    expect([0, 1, 2, 3].map((n) => cycleDueAt(spec, n).toISO())).toEqual([
      '2025-02-28T10:00:00.000Z',
      '2025-03-31T10:00:00.000Z',
      '2025-04-30T10:00:00.000Z',
      '2025-05-31T10:00:00.000Z',
    ]);
  });
});

describe('firstCycleDueFrom searches instead of walking', () => {
  const perSecond: ScheduleSegment[] = [
    { fromCycle: 0, anchor: { localDateTime: '2025-01-01T00:00:00', zone: 'UTC' }, interval: { unit: 'second', count: 1 } },
  ];

  it('after a 12-day pause of a one-second plan it finds the cycle due next (over a million cycles later)', () => {
    const resumedAt = DateTime.fromISO('2025-01-13T00:00:00.500Z', { zone: 'utc' });
    expect(firstCycleDueFrom(perSecond, 5, resumedAt)).toBe(12 * 86_400 + 1);
  });

  it('matches a walk, cycle by cycle, across segments and month ends', () => {
    const segments = rebaseSegments([{ fromCycle: 0, anchor: { localDateTime: '2024-01-31T09:00', zone: NY }, interval: { unit: 'month', count: 1 } }], 5, {
      unit: 'week',
      count: 2,
    });
    const walk = (from: number, at: DateTime): number => {
      let cycle = from;
      while (dueAtForCycle(segments, cycle).toMillis() < at.toMillis()) cycle += 1;
      return cycle;
    };
    for (const iso of ['2024-01-01T00:00Z', '2024-01-31T14:00Z', '2024-03-31T13:00:00.001Z', '2024-06-30T12:00Z', '2025-02-01T00:00Z']) {
      const at = DateTime.fromISO(iso, { zone: 'utc' });
      for (const from of [0, 3, 5, 9]) expect(firstCycleDueFrom(segments, from, at), `${iso} from ${from}`).toBe(walk(from, at));
    }
  });
});
