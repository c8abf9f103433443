// The monthly cap of a Recurring or PaymentMethodOnFile Charge Permission: what Create Charge
// refuses beyond with 400 PeriodicAmountExceeded until the next calendar month.
import type { ChargePermission } from './types.js';
import { moneyToDto, parseDecimalAmount } from '../billing/money.js';
import type { MoneyDto } from '../billing/types.js';

/**
 * Amazon Pay's published caps per Charge Permission and calendar month, minor units (Amazon Pay
 * docs "Monthly recurring charge limits" and "Monthly PaymentMethodOnFile charge limits", Amazon
 * Pay JP FAQ QA-57). Recurring caps outside USD and JPY are not published and are left out: no cap
 * is assumed for them.
 */
const PUBLISHED_MONTHLY_CAPS_MINOR: Readonly<Record<string, Readonly<Record<string, bigint>>>> = {
  Recurring: { USD: 100_000n, JPY: 100_000n },
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

/**
 * The permission's monthly cap: `limits.amountLimit` when Amazon Pay answers one, else the
 * published cap for its type and currency; null when neither is known (or the value is unreadable).
 */
export function monthlyCapOf(permission: Pick<ChargePermission, 'chargePermissionType' | 'presentmentCurrency' | 'limits'>): MoneyDto | null {
  const limit = permission.limits?.amountLimit;
  if (limit) {
    try {
      return moneyToDto(parseDecimalAmount(limit.amount, limit.currencyCode));
    } catch {
      return null;
    }
  }
  const published = PUBLISHED_MONTHLY_CAPS_MINOR[permission.chargePermissionType]?.[permission.presentmentCurrency];
  return published === undefined ? null : { amountMinor: published.toString(), currency: permission.presentmentCurrency };
}

/**
 * Amazon Pay's maximum chargeAmount of one charge, minor units (API reference §4.1, Charge object:
 * US $150,000; UK £150,000; DE €150,000; JP ¥10,000,000). Other currencies: none published, none assumed.
 */
const PER_CHARGE_MAXIMUM_MINOR: Readonly<Record<string, bigint>> = {
  USD: 15_000_000n,
  GBP: 15_000_000n,
  EUR: 15_000_000n,
  JPY: 10_000_000n,
};

/** The most one charge may be in `currency`, or null when Amazon Pay publishes none for it. */
export function perChargeMaximumOf(currency: string): MoneyDto | null {
  const maximum = PER_CHARGE_MAXIMUM_MINOR[currency];
  return maximum === undefined ? null : { amountMinor: maximum.toString(), currency };
}
