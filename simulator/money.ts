// Money inside the simulator is integer minor units held as bigint; Amazon Pay's decimal
// strings exist only at the HTTP edge and are converted here, never through floats.

const EXPONENT_BY_CURRENCY: Readonly<Record<string, number>> = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  AUD: 2,
  CHF: 2,
  DKK: 2,
  HKD: 2,
  NOK: 2,
  NZD: 2,
  SEK: 2,
  ZAR: 2,
  JPY: 0,
};

export const SUPPORTED_CURRENCIES: readonly string[] = Object.keys(EXPONENT_BY_CURRENCY);

export function currencyExponent(currency: string): number | undefined {
  return EXPONENT_BY_CURRENCY[currency];
}

/** Parses "14.00" (USD) / "500" (JPY) into minor units; undefined when the text is not a valid amount. */
export function decimalToMinor(amount: string, currency: string): bigint | undefined {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) return undefined;
  const pattern = exponent === 0 ? /^(\d{1,15})$/ : new RegExp(`^(\\d{1,15})(?:\\.(\\d{1,${exponent}}))?$`);
  const match = pattern.exec(amount);
  if (!match) return undefined;
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').padEnd(exponent, '0');
  return BigInt(whole + fraction);
}

/** Formats minor units with exactly the currency's exponent: 1400n USD → "14.00", 500n JPY → "500". */
export function minorToDecimal(minor: bigint, currency: string): string {
  const exponent = currencyExponent(currency) ?? 2;
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return negative ? `-${text}` : text;
}

export interface Price {
  amount: string;
  currencyCode: string;
}

export function price(minor: bigint | string, currency: string): Price {
  return { amount: minorToDecimal(BigInt(minor), currency), currencyCode: currency };
}
