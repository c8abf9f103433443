// Parsing of option values a person types: amounts in major units, intervals, anchors.
import { parseMajorAmount } from '../../billing/money.js';
import { validateCurrency } from '../../billing/plan-rules.js';
import { INTERVAL_UNITS, type BillingInterval } from '../../billing/types.js';
import { InvalidInputError } from '../errors.js';

/** "14.00" in USD → "1400"; an amount in minor units ("1400") is taken as is. */
export function amountMinorFrom(options: { amount?: string; amountMinor?: string; currency: string }, field = 'amount'): string {
  const currencyProblems = validateCurrency(options.currency, 'currency');
  if (currencyProblems.length > 0) throw new InvalidInputError(currencyProblems);
  if (options.amount !== undefined && options.amountMinor !== undefined) throw InvalidInputError.of(field, 'give --amount or --amount-minor, not both');
  if (options.amountMinor !== undefined) return options.amountMinor;
  if (options.amount === undefined) throw InvalidInputError.of(field, 'is required (e.g. --amount 14.00)');
  try {
    const m = parseMajorAmount(options.amount, options.currency);
    if (m.amountMinor <= 0n) throw new Error('zero');
    return m.amountMinor.toString();
  } catch {
    throw InvalidInputError.of(field, `must be a positive amount in ${options.currency} such as "14.00" (no sign, no thousands separators, at most the currency's decimals), got ${JSON.stringify(options.amount)}`);
  }
}

const INTERVAL_PATTERN = /^\s*(\d+)?\s*([a-z]+)\s*$/;

/** "month", "1 month", "2 weeks", "3days" → { unit, count }. */
export function parseIntervalText(text: string, field = 'interval'): BillingInterval {
  const m = INTERVAL_PATTERN.exec(text.toLowerCase());
  const unitText = m?.[2]?.replace(/s$/, '');
  const unit = INTERVAL_UNITS.find((u) => u === unitText);
  if (!m || unit === undefined) {
    throw InvalidInputError.of(field, `must be "<count> <unit>" or "<unit>" with unit one of ${INTERVAL_UNITS.join(', ')} (e.g. "month", "2 weeks"), got ${JSON.stringify(text)}`);
  }
  return { unit, count: m[1] === undefined ? 1 : Number(m[1]) };
}
