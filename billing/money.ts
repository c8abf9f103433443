// Money inside the product: integer minor units (bigint) plus an ISO 4217 code.
// Decimal strings exist only at the edges: Amazon Pay's price objects and human input.
// No floating point anywhere: parsing is a strict regex plus BigInt, formatting is string slicing.

import type { MoneyDto } from './types.js';
import { CURRENCY_EXPONENTS, MAX_AMOUNT_MINOR_DIGITS, SUPPORTED_CURRENCIES, exampleAmount, isCurrencyCode } from './plan-rules.js';
import type { CurrencyCode } from './plan-rules.js';

export type { CurrencyCode } from './plan-rules.js';
export { isCurrencyCode, SUPPORTED_CURRENCIES } from './plan-rules.js';

export interface Money {
  amountMinor: bigint;
  currency: CurrencyCode;
}

/** Amazon Pay `price` object: decimal string amount in major units. */
export interface AmazonPrice {
  amount: string;
  currencyCode: string;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}

/** Throws unless `value` is a supported currency code; the error lists the accepted codes. */
export function toCurrencyCode(value: unknown): CurrencyCode {
  if (isCurrencyCode(value)) return value;
  throw new Error(`Unknown currency ${describe(value)}: accepted currencies are ${SUPPORTED_CURRENCIES.join(', ')} (upper case ISO 4217)`);
}

/** Digits after the decimal point for the currency (2 for USD, 0 for JPY). */
export function currencyExponent(currency: string): number {
  return CURRENCY_EXPONENTS[toCurrencyCode(currency)];
}

export function money(amountMinor: bigint, currency: string): Money {
  return { amountMinor, currency: toCurrencyCode(currency) };
}

/** Major-unit decimal string with exactly the currency's exponent digits: 1400n USD → "14.00", 500n JPY → "500", -5n USD → "-0.05". */
export function toDecimalString(m: Money): string {
  const exponent = currencyExponent(m.currency);
  const negative = m.amountMinor < 0n;
  const digits = (negative ? -m.amountMinor : m.amountMinor).toString();
  if (exponent === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(exponent + 1, '0');
  const major = padded.slice(0, padded.length - exponent);
  const minor = padded.slice(padded.length - exponent);
  return `${negative ? '-' : ''}${major}.${minor}`;
}

/**
 * Shared strict decimal parser. Accepts "14", "14.5", "14.50" for 2-decimal currencies and "500"
 * for JPY; rejects signs, exponents, whitespace, thousands separators, leading zeros ("014"),
 * a bare or trailing point, and more decimals than the currency has (never rounds).
 */
function parseDecimal(input: unknown, currency: string, what: string): Money {
  const code = toCurrencyCode(currency);
  const exponent = CURRENCY_EXPONENTS[code];
  const example = exponent === 0 ? `"${exampleAmount(code).major}"` : `"${exampleAmount(code).major}" or "14"`;
  if (typeof input !== 'string') {
    throw new Error(`Invalid ${what}: expected a decimal string such as ${example} for ${code}, got ${describe(input)}`);
  }
  const pattern = exponent === 0 ? /^(0|[1-9]\d*)$/ : new RegExp(`^(0|[1-9]\\d*)(?:\\.(\\d{1,${exponent}}))?$`);
  const match = pattern.exec(input);
  if (!match) {
    const tooManyDecimals = /^(0|[1-9]\d*)\.\d+$/.test(input);
    const reason = tooManyDecimals
      ? exponent === 0
        ? `${code} has no minor unit, so no decimal point is allowed`
        : `${code} allows at most ${exponent} decimal places`
      : 'only digits and one decimal point are allowed (no sign, spaces, exponent, separators or leading zeros)';
    throw new Error(`Invalid ${what} ${describe(input)} for ${code}: ${reason}; e.g. ${example}`);
  }
  const major = match[1] ?? '0';
  const fraction = (match[2] ?? '').padEnd(exponent, '0');
  const digits = (major + fraction).replace(/^0+(?=\d)/, '');
  if (digits.length > MAX_AMOUNT_MINOR_DIGITS) {
    // Said as the largest amount accepted in this currency, not as a digit count the caller never sees.
    const largest = '9'.repeat(MAX_AMOUNT_MINOR_DIGITS - exponent) + (exponent > 0 ? `.${'9'.repeat(exponent)}` : '');
    throw new Error(`Invalid ${what} ${describe(input)} for ${code}: too large, at most ${largest} ${code} (${MAX_AMOUNT_MINOR_DIGITS} digits in minor units)`);
  }
  return { amountMinor: BigInt(digits), currency: code };
}

/** Parses an Amazon Pay decimal amount ("14.00", JPY "500") into Money; strict, never rounds. */
export function parseDecimalAmount(input: string, currency: string): Money {
  return parseDecimal(input, currency, 'decimal amount');
}

/** Parses a human-entered major amount ("14.00", "14", "14.5") in the given currency; strict, never rounds. */
export function parseMajorAmount(input: string, currency: string): Money {
  return parseDecimal(input, currency, 'amount');
}

/** Parses user input of minor units ("1400" = 14.00 USD) into a non-negative bigint. */
export function parseMinorUnits(input: string): bigint {
  if (typeof input !== 'string' || !/^(0|[1-9]\d*)$/.test(input)) {
    throw new Error(
      `Invalid minor-unit amount ${describe(input)}: expected a whole number of minor units written as digits only, ` +
        `without sign, decimal point, spaces or leading zeros (e.g. "1400" for 14.00 USD, "500" for 500 JPY)`,
    );
  }
  if (input.length > MAX_AMOUNT_MINOR_DIGITS) {
    throw new Error(`Invalid minor-unit amount ${describe(input)}: at most ${MAX_AMOUNT_MINOR_DIGITS} digits are supported`);
  }
  return BigInt(input);
}

/** Money → Amazon Pay price; negative amounts have no meaning at Amazon Pay and throw. */
export function toAmazonPrice(m: Money): AmazonPrice {
  if (m.amountMinor < 0n) throw new Error(`Cannot send a negative amount to Amazon Pay: ${formatMoney(m)}`);
  return { amount: toDecimalString(m), currencyCode: m.currency };
}

/**
 * Amazon Pay price → Money. Pass `expectedCurrency` when the price answers a request of ours:
 * a response in another currency is an error, never silently accepted.
 */
export function fromAmazonPrice(price: AmazonPrice, expectedCurrency?: CurrencyCode): Money {
  const m = parseDecimalAmount(price.amount, price.currencyCode);
  if (expectedCurrency !== undefined && m.currency !== expectedCurrency) {
    throw new Error(`Amazon Pay returned an amount in ${m.currency}, but ${expectedCurrency} was expected`);
  }
  return m;
}

/** Human-readable "14.00 USD". */
export function formatMoney(m: Money): string {
  return `${toDecimalString(m)} ${m.currency}`;
}

function assertSameCurrency(a: Money, b: Money, op: string): void {
  if (a.currency !== b.currency) {
    throw new Error(`Cannot ${op} ${formatMoney(a)} and ${formatMoney(b)}: currencies differ`);
  }
}

export function add(a: Money, b: Money): Money {
  assertSameCurrency(a, b, 'add');
  return { amountMinor: a.amountMinor + b.amountMinor, currency: a.currency };
}

export function sub(a: Money, b: Money): Money {
  assertSameCurrency(a, b, 'subtract');
  return { amountMinor: a.amountMinor - b.amountMinor, currency: a.currency };
}

/** Money → JSON-safe DTO (bigint cannot pass through JSON.stringify). */
export function moneyToDto(m: Money): MoneyDto {
  return { amountMinor: m.amountMinor.toString(), currency: m.currency };
}

/** JSON-safe DTO → Money; validates the digit string and the currency. */
export function moneyFromDto(dto: MoneyDto): Money {
  const currency = toCurrencyCode(dto.currency);
  if (typeof dto.amountMinor !== 'string' || !/^-?(0|[1-9]\d*)$/.test(dto.amountMinor) || dto.amountMinor === '-0') {
    throw new Error(
      `Invalid amountMinor ${describe(dto.amountMinor)} in money DTO: expected an integer of minor units as a digit string, optionally prefixed by "-" (e.g. "1400")`,
    );
  }
  return { amountMinor: BigInt(dto.amountMinor), currency };
}

/**
 * Splits `m` into parts proportional to `weights` (non-negative whole numbers, at least one
 * positive) by largest remainder, so the parts always sum exactly to `m`. Leftover minor units
 * go to the largest fractional remainders; ties go to the earlier weight.
 */
export function allocate(m: Money, weights: readonly (number | bigint)[]): Money[] {
  const ws = weights.map((w, i) => {
    if (typeof w === 'number' && (!Number.isSafeInteger(w) || w < 0)) {
      throw new Error(`Invalid allocation weight ${w} at index ${i}: expected a non-negative whole number`);
    }
    const big = BigInt(w);
    if (big < 0n) throw new Error(`Invalid allocation weight ${big} at index ${i}: expected a non-negative whole number`);
    return big;
  });
  const total = ws.reduce((a, b) => a + b, 0n);
  if (total === 0n) throw new Error('Cannot allocate with no positive weight: pass at least one weight greater than 0');
  const negative = m.amountMinor < 0n;
  const amount = negative ? -m.amountMinor : m.amountMinor;
  const shares = ws.map((w) => (amount * w) / total);
  const remainders = ws.map((w, index) => ({ index, remainder: (amount * w) % total }));
  let leftover = amount - shares.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of remainders) {
    if (leftover === 0n) break;
    shares[index] = (shares[index] ?? 0n) + 1n;
    leftover -= 1n;
  }
  return shares.map((share) => ({ amountMinor: negative ? -share : share, currency: m.currency }));
}
