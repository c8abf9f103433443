// recurringMetadata { frequency: { unit, value }, amount } as Checkout Sessions and Charge
// Permissions take it (amazon-pay-checkout reference §8; API ref §5.6). Amazon uses it only for the
// Charge Permission's expiry and what it tells the buyer; the merchant still calls Create Charge.
import { AmazonPayError } from './errors.js';
import { parsePrice, rejectUnknownFields, type JsonObject, type ParsedPrice } from './validation.js';

export const FREQUENCY_UNITS = ['Year', 'Month', 'Week', 'Day', 'Variable'] as const;

export interface ParsedRecurringMetadata {
  frequency: { unit: string; value: string } | null;
  amount: ParsedPrice | null;
}

/**
 * Parses recurringMetadata. `value` is a digit string or (as the .NET SDK sends it) a JSON integer;
 * `Variable` takes "0", the other units a positive count (an assumption: Amazon documents the
 * units and "0" with Variable, not a validation rule). `amount` may be null (a varying amount or a
 * free trial) and is a price whose amount may be a number.
 */
export function parseRecurringMetadata(value: unknown, field = 'recurringMetadata'): ParsedRecurringMetadata {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AmazonPayError('InvalidParameterValue', `${field} must be an object { frequency: { unit, value }, amount }.`);
  }
  const obj = value as JsonObject;
  rejectUnknownFields(obj, ['frequency', 'amount'], `${field}.`);
  let frequency: ParsedRecurringMetadata['frequency'] = null;
  const f = obj['frequency'];
  if (f !== undefined && f !== null) {
    const problem = `${field}.frequency needs unit ∈ ${FREQUENCY_UNITS.join('|')} and value as a count ("1", or "0" with Variable)`;
    if (typeof f !== 'object' || Array.isArray(f)) throw new AmazonPayError('InvalidParameterValue', `${problem}.`);
    rejectUnknownFields(f as JsonObject, ['unit', 'value'], `${field}.frequency.`);
    const unit = (f as JsonObject)['unit'];
    const raw = (f as JsonObject)['value'];
    const count = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
    if (typeof unit !== 'string' || !(FREQUENCY_UNITS as readonly string[]).includes(unit) || typeof count !== 'string' || !/^\d{1,4}$/.test(count)) {
      throw new AmazonPayError('InvalidParameterValue', `${problem}; got ${JSON.stringify(f)}.`);
    }
    if ((unit === 'Variable') !== (Number(count) === 0)) {
      throw new AmazonPayError('InvalidParameterValue', `${problem}; got unit ${unit} with value ${JSON.stringify(raw)}.`);
    }
    frequency = { unit, value: String(Number(count)) };
  }
  const a = obj['amount'];
  const amount = a === undefined || a === null ? null : parsePrice(a, `${field}.amount`, { acceptNumbers: true });
  return { frequency, amount };
}
