// Daylight-saving transitions: wall-clock units keep the local time; elapsed units do not.
import { describe, expect, it } from 'vitest';
import { billingInstant, scheduleWindow } from '../../../billing/schedule.js';
import type { BillingAnchor, BillingInterval } from '../../../billing/types.js';

const daily: BillingInterval = { unit: 'day', count: 1 };
const weekly: BillingInterval = { unit: 'week', count: 1 };
const at = (localDateTime: string, zone: string): BillingAnchor => ({ localDateTime, zone });
const due = (anchor: BillingAnchor, interval: BillingInterval, n: number): string | null => billingInstant(anchor, interval, n).toISO();

describe('daily and weekly billing at 09:00 local across both DST changes', () => {
  it.each([
    ['America/New_York spring (Mar 9)', at('2025-03-08T09:00', 'America/New_York'), daily, '2025-03-08T14:00:00.000Z', '2025-03-09T13:00:00.000Z'],
    ['America/New_York autumn (Nov 2)', at('2025-11-01T09:00', 'America/New_York'), daily, '2025-11-01T13:00:00.000Z', '2025-11-02T14:00:00.000Z'],
    ['Europe/Berlin spring (Mar 30)', at('2025-03-29T09:00', 'Europe/Berlin'), daily, '2025-03-29T08:00:00.000Z', '2025-03-30T07:00:00.000Z'],
    ['Europe/Berlin autumn (Oct 26)', at('2025-10-25T09:00', 'Europe/Berlin'), daily, '2025-10-25T07:00:00.000Z', '2025-10-26T08:00:00.000Z'],
    ['Europe/London spring (Mar 30)', at('2025-03-29T09:00', 'Europe/London'), daily, '2025-03-29T09:00:00.000Z', '2025-03-30T08:00:00.000Z'],
    ['Europe/London autumn (Oct 26)', at('2025-10-25T09:00', 'Europe/London'), daily, '2025-10-25T08:00:00.000Z', '2025-10-26T09:00:00.000Z'],
    ['weekly America/New_York spring', at('2025-03-03T09:00', 'America/New_York'), weekly, '2025-03-03T14:00:00.000Z', '2025-03-10T13:00:00.000Z'],
    ['weekly America/New_York autumn', at('2025-10-27T09:00', 'America/New_York'), weekly, '2025-10-27T13:00:00.000Z', '2025-11-03T14:00:00.000Z'],
    ['weekly Europe/Berlin spring', at('2025-03-24T09:00', 'Europe/Berlin'), weekly, '2025-03-24T08:00:00.000Z', '2025-03-31T07:00:00.000Z'],
    ['weekly Europe/Berlin autumn', at('2025-10-20T09:00', 'Europe/Berlin'), weekly, '2025-10-20T07:00:00.000Z', '2025-10-27T08:00:00.000Z'],
    ['weekly Europe/London spring', at('2025-03-24T09:00', 'Europe/London'), weekly, '2025-03-24T09:00:00.000Z', '2025-03-31T08:00:00.000Z'],
    ['weekly Europe/London autumn', at('2025-10-20T09:00', 'Europe/London'), weekly, '2025-10-20T08:00:00.000Z', '2025-10-27T09:00:00.000Z'],
  ])('%s: cycle 0 at %s, cycle 1 at %s', (_name, anchor, interval, cycle0, cycle1) => {
    expect(due(anchor, interval, 0)).toBe(cycle0);
    expect(due(anchor, interval, 1)).toBe(cycle1);
  });

  it('the spring-forward day is 23 elapsed hours long in America/New_York', () => {
    const anchor = at('2025-03-08T09:00', 'America/New_York');
    const hours = billingInstant(anchor, daily, 1).diff(billingInstant(anchor, daily, 0), 'hours').hours;
    expect(hours).toBe(23);
  });
});

describe('a billing time inside a DST gap moves forward by the gap', () => {
  it('02:30 America/New_York on 2025-03-09 is 03:30 EDT = 07:30Z', () => {
    const [row] = scheduleWindow(at('2025-03-09T02:30', 'America/New_York'), daily, 0, 1);
    expect(row).toEqual({ cycle: 0, dueAt: '2025-03-09T07:30:00.000Z', local: '2025-03-09T03:30:00.000-04:00', zone: 'America/New_York' });
  });

  it('daily 02:30: the day before, the gap day, and the day after return to 02:30', () => {
    const anchor = at('2025-03-08T02:30', 'America/New_York');
    expect([0, 1, 2].map((n) => due(anchor, daily, n))).toEqual([
      '2025-03-08T07:30:00.000Z', // 02:30 EST
      '2025-03-09T07:30:00.000Z', // 03:30 EDT (02:30 does not exist)
      '2025-03-10T06:30:00.000Z', // 02:30 EDT
    ]);
  });

  it('monthly on the 9th at 02:30: only the gap month shifts', () => {
    const anchor = at('2025-02-09T02:30', 'America/New_York');
    expect(due(anchor, { unit: 'month', count: 1 }, 1)).toBe('2025-03-09T07:30:00.000Z');
    expect(due(anchor, { unit: 'month', count: 1 }, 2)).toBe('2025-04-09T06:30:00.000Z');
  });

  it('02:30 Europe/Berlin on 2025-03-30 is 03:30 CEST = 01:30Z', () => {
    expect(due(at('2025-03-30T02:30', 'Europe/Berlin'), daily, 0)).toBe('2025-03-30T01:30:00.000Z');
  });

  it('01:30 Europe/London on 2025-03-30 is 02:30 BST = 01:30Z', () => {
    expect(due(at('2025-03-30T01:30', 'Europe/London'), daily, 0)).toBe('2025-03-30T01:30:00.000Z');
  });
});

describe('a repeated wall time on fall-back resolves to the earlier instant', () => {
  it('01:30 America/New_York on 2025-11-02 is 01:30 EDT = 05:30Z (not 06:30Z EST)', () => {
    const [row] = scheduleWindow(at('2025-11-02T01:30', 'America/New_York'), daily, 0, 1);
    expect(row).toEqual({ cycle: 0, dueAt: '2025-11-02T05:30:00.000Z', local: '2025-11-02T01:30:00.000-04:00', zone: 'America/New_York' });
  });

  it('daily 01:30 America/New_York: one charge on the repeated night, then 01:30 EST', () => {
    const anchor = at('2025-11-01T01:30', 'America/New_York');
    expect([0, 1, 2].map((n) => due(anchor, daily, n))).toEqual(['2025-11-01T05:30:00.000Z', '2025-11-02T05:30:00.000Z', '2025-11-03T06:30:00.000Z']);
  });

  it('02:30 Europe/Berlin on 2025-10-26 is 02:30 CEST = 00:30Z', () => {
    expect(due(at('2025-10-26T02:30', 'Europe/Berlin'), daily, 0)).toBe('2025-10-26T00:30:00.000Z');
  });

  it('01:30 Europe/London on 2025-10-26 is 01:30 BST = 00:30Z', () => {
    expect(due(at('2025-10-26T01:30', 'Europe/London'), daily, 0)).toBe('2025-10-26T00:30:00.000Z');
  });

  it('a 30-minute DST zone (Australia/Lord_Howe, 2025-04-06 01:45) also picks the earlier instant', () => {
    // 02:00 +11:00 falls back to 01:30 +10:30, so 01:45 happens at 14:45Z and again at 15:15Z.
    expect(due(at('2025-04-06T01:45', 'Australia/Lord_Howe'), daily, 0)).toBe('2025-04-05T14:45:00.000Z');
  });
});

describe('seconds, minutes and hours are elapsed time from the anchor instant', () => {
  it('every 30 seconds across the New York spring-forward instant', () => {
    const anchor = at('2025-03-09T01:59:30', 'America/New_York');
    expect(scheduleWindow(anchor, { unit: 'second', count: 30 }, 0, 3).map((r) => [r.dueAt, r.local])).toEqual([
      ['2025-03-09T06:59:30.000Z', '2025-03-09T01:59:30.000-05:00'],
      ['2025-03-09T07:00:00.000Z', '2025-03-09T03:00:00.000-04:00'],
      ['2025-03-09T07:00:30.000Z', '2025-03-09T03:00:30.000-04:00'],
    ]);
  });

  it('every 15 minutes: cycle 4 is one hour later, cycle 96 one day later', () => {
    const anchor = at('2025-01-01T00:00', 'UTC');
    expect(due(anchor, { unit: 'minute', count: 15 }, 4)).toBe('2025-01-01T01:00:00.000Z');
    expect(due(anchor, { unit: 'minute', count: 15 }, 96)).toBe('2025-01-02T00:00:00.000Z');
  });

  it('hourly through the New York fall-back shows 01:30 twice', () => {
    const anchor = at('2025-11-02T00:30', 'America/New_York');
    expect(scheduleWindow(anchor, { unit: 'hour', count: 1 }, 0, 4).map((r) => r.local)).toEqual([
      '2025-11-02T00:30:00.000-04:00',
      '2025-11-02T01:30:00.000-04:00',
      '2025-11-02T01:30:00.000-05:00',
      '2025-11-02T02:30:00.000-05:00',
    ]);
  });

  it('a large cycle number with 1-second intervals stays exact', () => {
    expect(due(at('2025-01-01T00:00', 'UTC'), { unit: 'second', count: 1 }, 86_400 * 365)).toBe('2026-01-01T00:00:00.000Z');
  });
});
