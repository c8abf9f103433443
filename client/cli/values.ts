// Parsing of option values a person types: amounts in major units, intervals, anchors.
import { parseMajorAmount } from '../../billing/money.js';
import { exampleAmount, normaliseCurrency, validateAmountMinor, validateCurrency } from '../../billing/plan-rules.js';
import { INTERVAL_UNITS, type BillingInterval } from '../../billing/types.js';
import { InvalidInputError } from '../errors.js';

/** Under which fields an amount's two spellings are read and reported, and how a message shows them. */
export interface AmountNames {
  amount: string;
  amountMinor: string;
  shown(field: string): string;
}

/** The options --amount and --amount-minor (start, change-plan, refund). */
export const AMOUNT_OPTIONS: AmountNames = { amount: 'amount', amountMinor: 'amount-minor', shown: (field) => `--${field}` };

/**
 * "14.00" in USD → "1400"; an amount in minor units ("1400") is checked and taken as is. The
 * currency may be in any letter case. Examples in the messages are amounts valid in that currency
 * ("1400" for JPY). Problems are reported under `names` (the options, or import columns).
 */
export function amountMinorFrom(options: { amount?: string; amountMinor?: string; currency: string }, names: AmountNames = AMOUNT_OPTIONS): string {
  const currency = normaliseCurrency(options.currency);
  const currencyProblems = validateCurrency(currency, 'currency');
  if (currencyProblems.length > 0) throw new InvalidInputError(currencyProblems);
  const example = exampleAmount(currency);
  if (options.amount !== undefined && options.amountMinor !== undefined)
    throw InvalidInputError.of(names.amount, `is not taken together with ${names.shown(names.amountMinor)}: give one of them`);
  if (options.amountMinor !== undefined) {
    // Checked here, under the name typed, so the library's plan.amountMinor never stands for it.
    const problems = validateAmountMinor(options.amountMinor, names.amountMinor, currency);
    if (problems.length > 0) throw new InvalidInputError(problems);
    return options.amountMinor;
  }
  if (options.amount === undefined)
    throw InvalidInputError.of(names.amount, `is required (e.g. ${names.shown(names.amount)} ${example.major} for ${example.major} ${example.currency})`);
  try {
    const m = parseMajorAmount(options.amount, example.currency);
    if (m.amountMinor <= 0n) throw new Error('zero');
    return m.amountMinor.toString();
  } catch {
    throw InvalidInputError.of(
      names.amount,
      `must be a positive amount in ${example.currency} such as "${example.major}" (no sign, no thousands separators, at most the currency's decimals), got ${JSON.stringify(options.amount)}`,
    );
  }
}

/** Longer than any "<count> <unit>" (e.g. "1000000 seconds"); refused before any pattern runs. */
export const MAX_INTERVAL_TEXT_LENGTH = 32;
// After trim(): the count and the unit are different character classes, so each character is
// looked at once (the old /^\s*(\d+)?\s*…/ backtracked quadratically over runs of spaces).
const INTERVAL_PATTERN = /^(?:(\d+)\s*)?([a-z]+)$/;

/** "month", "1 month", "2 weeks", "3days" → { unit, count }. */
export function parseIntervalText(text: string, field = 'interval'): BillingInterval {
  const accepted = `"<count> <unit>" or "<unit>" with unit one of ${INTERVAL_UNITS.join(', ')} (e.g. "month", "2 weeks")`;
  if (text.length > MAX_INTERVAL_TEXT_LENGTH) {
    throw InvalidInputError.of(field, `must be ${accepted} in at most ${MAX_INTERVAL_TEXT_LENGTH} characters, got a text of ${text.length} characters`);
  }
  const m = INTERVAL_PATTERN.exec(text.trim().toLowerCase());
  const unitText = m?.[2]?.replace(/s$/, '');
  const unit = INTERVAL_UNITS.find((u) => u === unitText);
  if (!m || unit === undefined) {
    throw InvalidInputError.of(field, `must be ${accepted}, got ${JSON.stringify(text)}`);
  }
  return { unit, count: m[1] === undefined ? 1 : Number(m[1]) };
}
