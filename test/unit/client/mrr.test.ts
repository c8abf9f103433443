// client/dashboard/data.ts monthlyRecurringMinor: MRR summed exactly, rounded once (fresh review: it was rounded per subscription).
import { describe, expect, it } from 'vitest';
import { monthlyRecurringMinor } from '../../../client/dashboard/data.js';

describe('monthlyRecurringMinor', () => {
  it('normalises each plan to an average month (365.2425 / 12 days) and rounds the sum, not each plan', () => {
    const daily = { unit: 'day' as const, count: 1 };
    // 100 × 14.69 USD a day: 100 × 1469 × 30.436875 = 4,471,176.9375 minor units → 44,711.77 USD
    // (rounding each plan first gave 44,712 × 100 = 44,712.00 USD).
    expect(monthlyRecurringMinor(Array.from({ length: 100 }, () => ({ amountMinor: 1469n, interval: daily })))).toBe(4_471_177n);
    expect(monthlyRecurringMinor([{ amountMinor: 12_000n, interval: { unit: 'year', count: 1 } }])).toBe(1_000n);
    // 7.00 a week is 30.436875 a month (3,043.6875 minor units), 0.01 every 2 days 15.2184375: 3,058.906… → 3,059.
    expect(
      monthlyRecurringMinor([
        { amountMinor: 700n, interval: { unit: 'week', count: 1 } },
        { amountMinor: 1n, interval: { unit: 'day', count: 2 } },
      ]),
    ).toBe(3_059n);
    expect(monthlyRecurringMinor([])).toBe(0n);
  });
});
