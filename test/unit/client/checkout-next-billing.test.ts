// The next billing date a completed checkout answers (client/checkout/next-billing.ts): the first
// cycle not paid at checkout, from the stored anchor by the schedule's rules, never stepped from
// another date: month ends clamp and recover, a trial's end is cycle 0, an end rule can leave none.
import { describe, expect, it } from 'vitest';
import { firstUnpaidCycleDueAt } from '../../../client/checkout/next-billing.js';
import type { CheckoutTerms } from '../../../client/checkout/payload.js';

const monthly: Pick<CheckoutTerms, 'plan'> = { plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } } };
const jan31 = { localDateTime: '2027-01-31T09:00:00', zone: 'America/New_York' };

describe('firstUnpaidCycleDueAt', () => {
  it.each([
    ['paid at checkout: cycle 1, Jan 31 → Feb 28 (clamped)', monthly, jan31, true, '2027-02-28T14:00:00.000Z'],
    ['a 1-month trial from Jan 31: cycle 0 at its end, Feb 28', { ...monthly, trial: { unit: 'month', count: 1 } }, jan31, false, '2027-02-28T14:00:00.000Z'],
    ['a 14-day trial: its end', { ...monthly, trial: { unit: 'day', count: 14 } }, jan31, false, '2027-02-14T14:00:00.000Z'],
    [
      'across spring-forward: the wall time, in the new offset',
      monthly,
      { localDateTime: '2027-02-14T09:00:00', zone: 'America/New_York' },
      true,
      '2027-03-14T13:00:00.000Z',
    ],
    [
      'sandbox seconds: elapsed time',
      { plan: { ...monthly.plan, interval: { unit: 'second', count: 30 } } },
      { localDateTime: '2027-01-31T09:00:00', zone: 'UTC' },
      true,
      '2027-01-31T09:00:30.000Z',
    ],
  ] as const)('%s', (_name, terms, anchor, paid, expected) => {
    expect(firstUnpaidCycleDueAt(terms, anchor, paid)).toBe(expected);
  });

  it('is null when the end comes first: one cycle in all, paid at checkout; or an end at that date (exclusive)', () => {
    expect(firstUnpaidCycleDueAt({ ...monthly, end: { afterCycles: 1 } }, jan31, true)).toBeNull();
    expect(firstUnpaidCycleDueAt({ ...monthly, end: { afterCycles: 2 } }, jan31, true)).toBe('2027-02-28T14:00:00.000Z');
    expect(firstUnpaidCycleDueAt({ ...monthly, end: { at: '2027-02-28T14:00:00Z' } }, jan31, true)).toBeNull();
  });
});
