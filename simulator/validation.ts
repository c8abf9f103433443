// Request-body validation with Amazon's reasonCodes (Amazon Pay API v2 error codes):
// InvalidRequestFormat, UnrecognizedField, MissingParameterValue, InvalidParameterValue. Which
// check answers which code is an assumption: Amazon documents the codes, not the conditions.
import { AmazonPayError } from './errors.js';
import { decimalToMinor, SUPPORTED_CURRENCIES } from './money.js';
import { emptyMerchantMetadata, type MerchantMetadata } from './state.js';

export type JsonObject = Record<string, unknown>;

export function parseJsonObject(rawBody: string, { allowEmpty = false } = {}): JsonObject {
  if (rawBody.trim() === '') {
    if (allowEmpty) return {};
    throw new AmazonPayError('InvalidRequestFormat', 'The request body is empty; a JSON object is expected.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new AmazonPayError('InvalidRequestFormat', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AmazonPayError('InvalidRequestFormat', 'The request body must be a JSON object.');
  }
  return parsed as JsonObject;
}

export function rejectUnknownFields(body: JsonObject, allowed: readonly string[], prefix = ''): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new AmazonPayError(
        'UnrecognizedField',
        `The field ${prefix}${key} is not recognised; accepted fields: ${allowed.map((a) => prefix + a).join(', ')}.`,
      );
    }
  }
}

export function requiredString(body: JsonObject, field: string): string {
  const value = body[field];
  if (value === undefined || value === null || value === '') {
    throw new AmazonPayError('MissingParameterValue', `The parameter ${field} is missing.`);
  }
  if (typeof value !== 'string') throw new AmazonPayError('InvalidParameterValue', `The parameter ${field} must be a string.`);
  return value;
}

export function optionalString(body: JsonObject, field: string, maxLength: number, prefix = ''): string | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw new AmazonPayError('InvalidParameterValue', `The parameter ${prefix}${field} must be a string.`);
  }
  if (value.length > maxLength) {
    throw new AmazonPayError('InvalidParameterValue', `The parameter ${prefix}${field} is longer than ${maxLength} characters.`);
  }
  return value;
}

export function optionalBoolean(body: JsonObject, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new AmazonPayError('InvalidParameterValue', `The parameter ${field} must be true or false.`);
  return value;
}

export interface ParsedPrice {
  minor: bigint;
  currency: string;
}

/** Parses a price object { amount: "14.00", currencyCode: "USD" } into minor units. */
export function requiredPrice(body: JsonObject, field: string): ParsedPrice {
  const value = body[field];
  if (value === undefined || value === null) throw new AmazonPayError('MissingParameterValue', `The parameter ${field} is missing.`);
  return parsePrice(value, field);
}

/**
 * Parses a price object; with `acceptNumbers` the amount may also be a JSON number (the .NET SDK
 * sends Checkout Session amounts as numbers: amazon-pay-checkout reference §2.1). Amounts stay
 * exact: a number is read through its shortest decimal text, never through arithmetic.
 */
export function parsePrice(value: unknown, field: string, { acceptNumbers = false } = {}): ParsedPrice {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AmazonPayError('InvalidParameterValue', `The parameter ${field} must be an object { amount, currencyCode }.`);
  }
  const obj = value as JsonObject;
  rejectUnknownFields(obj, ['amount', 'currencyCode'], `${field}.`);
  const currency = obj['currencyCode'];
  const amount = acceptNumbers && typeof obj['amount'] === 'number' && Number.isFinite(obj['amount']) ? String(obj['amount']) : obj['amount'];
  if (amount === undefined || amount === null || currency === undefined || currency === null) {
    throw new AmazonPayError('MissingParameterValue', `The parameter ${field} needs both amount and currencyCode.`);
  }
  if (typeof currency !== 'string' || !SUPPORTED_CURRENCIES.includes(currency)) {
    throw new AmazonPayError(
      'InvalidParameterValue',
      `${field}.currencyCode ${JSON.stringify(currency)} is not supported; accepted: ${SUPPORTED_CURRENCIES.join(', ')}.`,
    );
  }
  const minor = typeof amount === 'string' ? decimalToMinor(amount, currency) : undefined;
  if (minor === undefined || minor <= 0n) {
    throw new AmazonPayError(
      'InvalidParameterValue',
      `${field}.amount ${JSON.stringify(amount)} is not a positive decimal ${acceptNumbers ? 'string or number' : 'string'} valid for ${currency} (e.g. ${currency === 'JPY' ? '"500"' : '"14.00"'}).`,
    );
  }
  return { minor, currency };
}

const MERCHANT_METADATA_LIMITS: Readonly<Record<keyof MerchantMetadata, number>> = {
  merchantReferenceId: 256,
  merchantStoreName: 50,
  noteToBuyer: 255,
  customInformation: 4096,
};

export function optionalMerchantMetadata(body: JsonObject, field = 'merchantMetadata'): MerchantMetadata | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AmazonPayError('InvalidParameterValue', `The parameter ${field} must be an object.`);
  }
  const obj = value as JsonObject;
  rejectUnknownFields(obj, Object.keys(MERCHANT_METADATA_LIMITS), `${field}.`);
  const result = emptyMerchantMetadata();
  for (const [name, limit] of Object.entries(MERCHANT_METADATA_LIMITS) as Array<[keyof MerchantMetadata, number]>) {
    result[name] = optionalString(obj, name, limit, `${field}.`);
  }
  return result;
}

export function optionalEnum<T extends string>(body: JsonObject, field: string, accepted: readonly T[]): T | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !accepted.includes(value as T)) {
    throw new AmazonPayError('InvalidParameterValue', `The parameter ${field} must be one of ${accepted.join(', ')}.`);
  }
  return value as T;
}
