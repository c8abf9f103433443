import { CURRENCY_EXPONENTS, type CurrencyCode } from '../billing/plan-rules.js';

/** "14.00 USD" from minor units, for UI summaries (the sandbox cannot import billing/money.ts). */
export function formatMinor(amountMinor: string, currency: string): string {
  const exponent = CURRENCY_EXPONENTS[currency as CurrencyCode] ?? 2;
  if (exponent === 0) return `${amountMinor} ${currency}`;
  const padded = amountMinor.padStart(exponent + 1, '0');
  return `${padded.slice(0, -exponent)}.${padded.slice(-exponent)} ${currency}`;
}
