// Per-charge maxima (Amazon Pay API v2: Charge) and monthly caps per Charge Permission (Amazon Pay
// monthly charge limits, as in amazonpay/monthly-caps.ts), in minor units.
import type { ChargePermissionType } from './state.js';

export const PER_CHARGE_MAXIMUM_MINOR: Readonly<Record<string, bigint>> = {
  USD: 15_000_000n,
  GBP: 15_000_000n,
  EUR: 15_000_000n,
  JPY: 10_000_000n,
};

export type MonthlyCaps = Partial<Record<ChargePermissionType, Record<string, bigint>>>;

/** Amazon Pay's published caps; the EUR/GBP Recurring caps are an assumption (Amazon publishes none). */
export function defaultMonthlyCaps(): MonthlyCaps {
  return {
    Recurring: { USD: 100_000n, JPY: 100_000n, EUR: 100_000n, GBP: 100_000n },
    PaymentMethodOnFile: {
      AUD: 1_500_000n,
      CHF: 1_500_000n,
      DKK: 15_000_000n,
      EUR: 1_500_000n,
      GBP: 1_500_000n,
      HKD: 15_000_000n,
      JPY: 2_000_000n,
      NOK: 15_000_000n,
      NZD: 1_500_000n,
      SEK: 15_000_000n,
      USD: 1_500_000n,
      ZAR: 15_000_000n,
    },
  };
}

/** Start (inclusive) and end (exclusive) of the UTC calendar month containing `nowMs`. */
export function utcMonthBounds(nowMs: number): [number, number] {
  const d = new Date(nowMs);
  return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)];
}
