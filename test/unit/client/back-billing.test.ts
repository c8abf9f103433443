import { describe, expect, it } from 'vitest';
import type { SubscriptionSpec } from '../../../billing/types.js';
import { assertNoBackBilling } from '../../../client/subscriptions/back-billing.js';

const monthly = (localDateTime: string, extra: Partial<SubscriptionSpec> = {}) => ({
  anchor: { localDateTime, zone: 'UTC' },
  plan: { amountMinor: '1400', currency: 'USD' as const, interval: { unit: 'month' as const, count: 1 } },
  ...extra,
});
const NOW = new Date('2026-11-29T12:00:00Z');

describe('a new subscription may start at most one cycle in the past', () => {
  it('accepts an anchor now, in the future, or within the last cycle', () => {
    expect(() => assertNoBackBilling(monthly('2026-11-29T12:00'), NOW)).not.toThrow();
    expect(() => assertNoBackBilling(monthly('2027-01-01T00:00'), NOW)).not.toThrow();
    expect(() => assertNoBackBilling(monthly('2026-11-01T09:00'), NOW)).not.toThrow();
  });

  it('refuses an anchor that would charge every month since January 2025 at once, naming the count and the date to use', () => {
    expect(() => assertNoBackBilling(monthly('2025-01-31T09:00'), NOW)).toThrow(
      /2025-01-31T09:00 UTC puts 22 cycles in the past.*at most one cycle in the past.*e\.g\. 2026-11-30T09:00 UTC/,
    );
  });

  it('counts from cycle 1 when the checkout charge paid cycle 0', () => {
    expect(() => assertNoBackBilling(monthly('2026-10-15T09:00', { firstChargeId: 'S01-1234567-1234567-C000001' }), NOW)).not.toThrow();
    expect(() => assertNoBackBilling(monthly('2026-10-15T09:00'), NOW)).toThrow(/2 cycles in the past/);
  });

  it('counts the trial: a past anchor whose trial ends in the future is fine', () => {
    expect(() => assertNoBackBilling(monthly('2026-11-01T09:00', { trial: { unit: 'month', count: 3 } }), NOW)).not.toThrow();
  });

  it('leaves sandbox plans alone and stops counting at 1,000 cycles', () => {
    const seconds = { ...monthly('2020-01-01T00:00'), plan: { amountMinor: '100', currency: 'USD' as const, interval: { unit: 'second' as const, count: 1 } } };
    expect(() => assertNoBackBilling(seconds, NOW)).not.toThrow();
    const daily = { ...monthly('2000-01-01T00:00'), plan: { amountMinor: '100', currency: 'USD' as const, interval: { unit: 'day' as const, count: 1 } } };
    expect(() => assertNoBackBilling(daily, NOW)).toThrow(/more than 1000 cycles in the past/);
  });
});
