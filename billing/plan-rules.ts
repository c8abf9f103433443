// Synchronous validators for plans and subscription specs, shared by the workflow's update
// validator and the admin client. Dependency-free (imports only ./types.js) because workflow
// code imports it. Each validator returns every problem it finds; an empty list means valid.
// Inputs are typed `unknown` because they arrive as JSON from outside the process.
// Zone validity needs luxon, so it lives in billing/schedule.ts (validateAnchor).

import type { BillingEnvironment, Problem } from './types.js';
import { INTERVAL_UNITS, SHORT_INTERVAL_UNITS } from './types.js';

/** ISO 4217 currencies we bill in, with their minor-unit exponent (digits after the decimal point). */
export const CURRENCY_EXPONENTS = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  JPY: 0,
  AUD: 2,
  CHF: 2,
  DKK: 2,
  HKD: 2,
  NOK: 2,
  NZD: 2,
  SEK: 2,
  ZAR: 2,
  CAD: 2,
} as const satisfies Record<string, number>;
export type CurrencyCode = keyof typeof CURRENCY_EXPONENTS;
export const SUPPORTED_CURRENCIES = Object.keys(CURRENCY_EXPONENTS) as CurrencyCode[];

export function isCurrencyCode(value: unknown): value is CurrencyCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CURRENCY_EXPONENTS, value);
}

/**
 * The one rule for a currency someone typed or sent (CLI, CSV import, library, HTTP API): letter
 * case and surrounding spaces are ignored, so "usd" and " Usd " both mean USD. Strings come back
 * trimmed and upper-cased (validateCurrency then checks the code); anything else is returned as is
 * for the validator to name. Stored specs and Amazon Pay prices always hold the upper-case code.
 */
export function normaliseCurrency(value: unknown): unknown {
  return typeof value === 'string' ? value.trim().toUpperCase() : value;
}

/** A plan (or anything holding `currency`) with its currency normalised; other values unchanged. */
export function normalisePlanCurrency<T>(plan: T): T {
  if (!isPlainObject(plan) || !('currency' in plan)) return plan;
  return { ...plan, currency: normaliseCurrency(plan.currency) } as T;
}

/**
 * An example amount that is valid in `currency`, for messages: 14.00 USD is "14.00" major or
 * "1400" minor units; JPY has no minor unit, so "1400" in both. Unknown codes get the 2-decimal form.
 */
export function exampleAmount(currency: unknown): { major: string; minor: string; currency: string } {
  const code = isCurrencyCode(currency) ? currency : 'USD';
  const exponent: number = CURRENCY_EXPONENTS[code];
  const minor = '1400';
  const major = exponent === 0 ? minor : `${minor.slice(0, minor.length - exponent) || '0'}.${minor.slice(-exponent).padStart(exponent, '0')}`;
  return { major, minor, currency: code };
}

/** 15 digits keeps every amount far inside PostgreSQL bigint and Number-free arithmetic. */
export const MAX_AMOUNT_MINOR_DIGITS = 15;
export const SUBSCRIPTION_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
export const CHARGE_PERMISSION_ID_PATTERN = /^[A-Z]\d\d-\d{7}-\d{7}$/;
export const CHARGE_ID_PATTERN = /^[A-Z]\d\d-\d{7}-\d{7}-C\d+$/;
/**
 * Checkout Session ids are UUIDs, 8-4-4-4-12 hex digits ("bd504926-f659-4ad7-a1a9-9a747aaf5275",
 * amazon-pay-checkout reference §1; the simulator issues crypto.randomUUID()). Amazon writes them
 * in lower case, and only that form is stored, keyed (billing/keys.ts) or sent to Amazon Pay; what
 * someone sends may be in any letter case (CHECKOUT_SESSION_ID_INPUT_PATTERN, normaliseCheckoutSessionId).
 */
export const CHECKOUT_SESSION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A Checkout Session id as it may be sent (a merchant's framework may upper-case it): any letter case. */
export const CHECKOUT_SESSION_ID_INPUT_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const MAX_CALENDAR_INTERVAL_COUNT = 1000;
export const MAX_SHORT_INTERVAL_COUNT = 1_000_000;
export const MAX_AFTER_CYCLES = 1_000_000;
/** Create Charge's softDescriptor: "max 16 characters/bytes" (Amazon Pay charge docs). */
export const MAX_SOFT_DESCRIPTOR_BYTES = 16;
export const MERCHANT_METADATA_MAX_LENGTHS = {
  merchantReferenceId: 256,
  merchantStoreName: 50,
  noteToBuyer: 255,
  customInformation: 4096,
} as const;

const AMOUNT_MINOR_PATTERN = /^[1-9]\d*$/;
const LOCAL_DATE_TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const ISO_INSTANT_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

export interface ValidationOptions {
  environment: BillingEnvironment;
}

/** Wall-clock components of an anchor's localDateTime (no zone attached). */
export interface LocalDateTimeParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isValidCalendarDateTime(p: LocalDateTimeParts): boolean {
  return (
    p.year >= 1 && p.month >= 1 && p.month <= 12 && p.day >= 1 && p.day <= daysInMonth(p.year, p.month) && p.hour <= 23 && p.minute <= 59 && p.second <= 59
  );
}

/** Parses 'YYYY-MM-DDTHH:mm[:ss]' into components; undefined when malformed or not a real calendar date/time. */
export function parseLocalDateTime(value: string): LocalDateTimeParts | undefined {
  const m = LOCAL_DATE_TIME_PATTERN.exec(value);
  if (!m) return undefined;
  const parts: LocalDateTimeParts = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
  };
  return isValidCalendarDateTime(parts) ? parts : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** UTF-8 byte length without TextEncoder, so this file stays sandbox-safe. */
function utf8ByteLength(value: string): number {
  let bytes = 0;
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** `currency`, when known, makes the example one of that currency ("1400" for 1400 JPY). */
export function validateAmountMinor(value: unknown, field = 'amountMinor', currency?: unknown): Problem[] {
  const example = exampleAmount(currency);
  const eg = `e.g. "${example.minor}" for ${example.major} ${example.currency}`;
  if (typeof value !== 'string') {
    return [{ field, message: `must be a string of digits in minor units (${eg}), got ${describe(value)}` }];
  }
  if (!AMOUNT_MINOR_PATTERN.test(value)) {
    return [
      {
        field,
        message: `must be a positive whole number of minor units written as digits without sign, decimal point, spaces or leading zeros (${eg}), got ${describe(value)}`,
      },
    ];
  }
  if (value.length > MAX_AMOUNT_MINOR_DIGITS) {
    return [{ field, message: `must have at most ${MAX_AMOUNT_MINOR_DIGITS} digits, got ${value.length}` }];
  }
  return [];
}

export function validateCurrency(value: unknown, field = 'currency'): Problem[] {
  if (isCurrencyCode(value)) return [];
  return [{ field, message: `must be one of ${SUPPORTED_CURRENCIES.join(', ')} (ISO 4217; letter case is ignored), got ${describe(value)}` }];
}

export function validateInterval(value: unknown, options: ValidationOptions, field = 'interval'): Problem[] {
  if (!isPlainObject(value)) {
    return [{ field, message: `must be an object { unit, count }, got ${describe(value)}` }];
  }
  const { unit, count } = value;
  if (typeof unit !== 'string' || !(INTERVAL_UNITS as readonly string[]).includes(unit)) {
    return [{ field: `${field}.unit`, message: `must be one of ${INTERVAL_UNITS.join(', ')}, got ${describe(unit)}` }];
  }
  const problems: Problem[] = [];
  const isShort = (SHORT_INTERVAL_UNITS as readonly string[]).includes(unit);
  if (isShort && options.environment !== 'sandbox') {
    problems.push({
      field: `${field}.unit`,
      message: `"${unit}" intervals are sandbox-only (for fast test cycles); in ${options.environment} use day, week, month or year`,
    });
  }
  const max = isShort ? MAX_SHORT_INTERVAL_COUNT : MAX_CALENDAR_INTERVAL_COUNT;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > max) {
    problems.push({ field: `${field}.count`, message: `must be a whole number from 1 to ${max} for unit "${unit}", got ${describe(count)}` });
  }
  return problems;
}

/**
 * Why `value` is refused as free text, or null when it is accepted: no control characters
 * (C0, DEL, C1 — PostgreSQL cannot store U+0000 at all, and the others corrupt one-line
 * records and terminals) and no Unicode line or paragraph separators (U+2028, U+2029: line
 * breaks to many viewers and to JavaScript source). `multiLine` also accepts tab, line feed,
 * carriage return and the two separators.
 */
export function controlCharacterProblem(value: string, options: { multiLine?: boolean } = {}): string | null {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    const separator = code === 0x2028 || code === 0x2029;
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    if (!(control || separator) || (options.multiLine && (separator || code === 0x09 || code === 0x0a || code === 0x0d))) continue;
    const accepted = options.multiLine ? 'printable text, tabs and line breaks' : 'printable text on one line';
    return `must not contain ${separator ? 'line separators' : 'control characters'} (found U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${i + 1}); accepted: ${accepted}`;
  }
  return null;
}

/**
 * True when an http(s) URL is written as scheme://host…: the WHATWG parser also accepts
 * "https:///r", "https:r" and "https:\\r" and reads host "r" from them, so a check of the parsed
 * URL would pass a text that names no host. Shared by return URLs and webhook URLs.
 */
export function urlWrittenWithHost(text: string): boolean {
  return /^https?:\/\/[^/\\?#]/i.test(text);
}

export function validateSoftDescriptor(value: unknown, field = 'softDescriptor'): Problem[] {
  if (value === undefined) return [];
  if (typeof value !== 'string' || value.length === 0) {
    return [{ field, message: `must be a non-empty string of at most ${MAX_SOFT_DESCRIPTOR_BYTES} bytes, or omitted, got ${describe(value)}` }];
  }
  const bytes = utf8ByteLength(value);
  if (bytes > MAX_SOFT_DESCRIPTOR_BYTES) {
    return [{ field, message: `must be at most ${MAX_SOFT_DESCRIPTOR_BYTES} bytes (16 ASCII characters), got ${bytes} bytes` }];
  }
  const control = controlCharacterProblem(value);
  return control === null ? [] : [{ field, message: control }];
}

export function validateMerchantMetadata(value: unknown, field = 'merchantMetadata'): Problem[] {
  if (value === undefined) return [];
  if (!isPlainObject(value)) return [{ field, message: `must be an object or omitted, got ${describe(value)}` }];
  const problems: Problem[] = [];
  const known = Object.keys(MERCHANT_METADATA_MAX_LENGTHS);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) problems.push({ field: `${field}.${key}`, message: `is not a known field; accepted: ${known.join(', ')}` });
  }
  for (const [key, max] of Object.entries(MERCHANT_METADATA_MAX_LENGTHS)) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0) {
      problems.push({ field: `${field}.${key}`, message: `must be a non-empty string of at most ${max} characters, or omitted, got ${describe(v)}` });
    } else if (v.length > max) {
      problems.push({ field: `${field}.${key}`, message: `must be at most ${max} characters, got ${v.length}` });
    } else {
      const control = controlCharacterProblem(v, { multiLine: true });
      if (control !== null) problems.push({ field: `${field}.${key}`, message: control });
    }
  }
  return problems;
}

export function validateSubscriptionId(value: unknown, field = 'id'): Problem[] {
  if (typeof value === 'string' && SUBSCRIPTION_ID_PATTERN.test(value)) return [];
  return [{ field, message: `must be 1 to 64 characters of A-Z a-z 0-9 _ . : -, got ${describe(value)}` }];
}

export function validateChargePermissionId(value: unknown, field = 'chargePermissionId'): Problem[] {
  if (typeof value === 'string' && CHARGE_PERMISSION_ID_PATTERN.test(value)) return [];
  return [{ field, message: `must look like "S01-1234567-1234567" (letter, 2 digits, 7 digits, 7 digits), got ${describe(value)}` }];
}

export function validateChargeId(value: unknown, field = 'chargeId'): Problem[] {
  if (typeof value === 'string' && CHARGE_ID_PATTERN.test(value)) return [];
  return [{ field, message: `must look like "S01-1234567-1234567-C123456" (Charge Permission-style prefix, then -C and digits), got ${describe(value)}` }];
}

/**
 * The one rule for a Checkout Session id someone typed or sent (HTTP API, library, CLI): surrounding
 * spaces and letter case are ignored, so "BD504926-F659-…" is Amazon's "bd504926-f659-…". Strings
 * come back trimmed and lower-cased (validateCheckoutSessionId then checks the form); anything else
 * is returned as is for the validator to name.
 */
export function normaliseCheckoutSessionId(value: unknown): unknown {
  return typeof value === 'string' ? value.trim().toLowerCase() : value;
}

/** Checks `value` as normaliseCheckoutSessionId reads it, so any letter case passes; call normaliseCheckoutSessionId for the id to use. */
export function validateCheckoutSessionId(value: unknown, field = 'checkoutSessionId'): Problem[] {
  const id = normaliseCheckoutSessionId(value);
  if (typeof id === 'string' && CHECKOUT_SESSION_ID_PATTERN.test(id)) return [];
  return [
    {
      field,
      message: `must be the amazonCheckoutSessionId Amazon Pay appended to your return URL, a UUID such as "bd504926-f659-4ad7-a1a9-9a747aaf5275" (8-4-4-4-12 digits 0-9 and letters a-f, in any letter case), got ${describe(value)}`,
    },
  ];
}

/** Format and calendar check of the anchor; the zone name is only checked for presence here (schedule.ts validates it against IANA). */
export function validateAnchorFormat(value: unknown, field = 'anchor'): Problem[] {
  if (!isPlainObject(value)) return [{ field, message: `must be an object { localDateTime, zone }, got ${describe(value)}` }];
  const problems: Problem[] = [];
  const { localDateTime, zone } = value;
  if (typeof localDateTime !== 'string' || parseLocalDateTime(localDateTime) === undefined) {
    problems.push({
      field: `${field}.localDateTime`,
      message: `must be a real wall-clock date and time 'YYYY-MM-DDTHH:mm' or 'YYYY-MM-DDTHH:mm:ss' without offset (e.g. "2025-01-31T09:00"), got ${describe(localDateTime)}`,
    });
  }
  if (typeof zone !== 'string' || zone.length === 0) {
    problems.push({ field: `${field}.zone`, message: `must be an IANA time zone name such as "America/New_York", got ${describe(zone)}` });
  }
  return problems;
}

/** True for 'YYYY-MM-DDTHH:mm[:ss[.fff]]' followed by 'Z' or '±HH:mm', with a real calendar date. */
export function isIsoInstant(value: string): boolean {
  const m = ISO_INSTANT_PATTERN.exec(value);
  if (!m) return false;
  const parts: LocalDateTimeParts = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
  };
  const offsetOk = m[7] === undefined || (Number(m[7]) <= 18 && Number(m[8]) <= 59);
  return offsetOk && isValidCalendarDateTime(parts);
}

export function validateEnd(value: unknown, field = 'end'): Problem[] {
  if (value === undefined) return [];
  if (isPlainObject(value) && 'afterCycles' in value && !('at' in value)) {
    const n = value.afterCycles;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_AFTER_CYCLES) return [];
    return [{ field: `${field}.afterCycles`, message: `must be a whole number of cycles from 1 to ${MAX_AFTER_CYCLES} (cycle 0 counts), got ${describe(n)}` }];
  }
  if (isPlainObject(value) && 'at' in value && !('afterCycles' in value)) {
    const at = value.at;
    if (typeof at === 'string' && isIsoInstant(at)) return [];
    return [{ field: `${field}.at`, message: `must be an ISO-8601 instant with Z or an offset (e.g. "2026-01-01T00:00:00Z"), got ${describe(at)}` }];
  }
  return [{ field, message: `must be { afterCycles: number } or { at: ISO instant } (exactly one), or omitted, got ${describe(value)}` }];
}

export function validatePlan(value: unknown, options: ValidationOptions, field = 'plan'): Problem[] {
  if (!isPlainObject(value)) return [{ field, message: `must be an object { amountMinor, currency, interval }, got ${describe(value)}` }];
  return [
    ...validateAmountMinor(value.amountMinor, `${field}.amountMinor`, value.currency),
    ...validateCurrency(value.currency, `${field}.currency`),
    ...validateInterval(value.interval, options, `${field}.interval`),
  ];
}

/** Everything about a SubscriptionSpec that needs no time-zone database; pair with schedule.ts validateAnchor for the zone. */
export function validateSubscriptionSpec(value: unknown, options: ValidationOptions): Problem[] {
  if (!isPlainObject(value))
    return [{ field: 'spec', message: `must be an object { id, chargePermissionId, plan, anchor, … } (a subscription spec), got ${describe(value)}` }];
  const problems: Problem[] = [
    ...validateSubscriptionId(value.id, 'id'),
    ...validateChargePermissionId(value.chargePermissionId, 'chargePermissionId'),
    ...validatePlan(value.plan, options, 'plan'),
    ...validateAnchorFormat(value.anchor, 'anchor'),
    ...(value.trial === undefined ? [] : validateInterval(value.trial, options, 'trial')),
    ...validateEnd(value.end, 'end'),
    ...validateSoftDescriptor(value.softDescriptor, 'softDescriptor'),
    ...validateMerchantMetadata(value.merchantMetadata, 'merchantMetadata'),
    ...(value.firstChargeId === undefined ? [] : validateChargeId(value.firstChargeId, 'firstChargeId')),
  ];
  if (value.trial !== undefined && value.firstChargeId !== undefined) {
    problems.push({
      field: 'firstChargeId',
      message:
        'cannot be combined with a trial: firstChargeId marks cycle 0 as paid at checkout, but with a trial cycle 0 is due when the trial ends; accepted: a first charge without a trial, or a trial without one (its checkout charges nothing)',
    });
  }
  return problems;
}

const CALENDAR_UNITS = ['day', 'week', 'month', 'year'] as const;
/** Seconds in one unit of the sandbox-only elapsed-time intervals. */
const ELAPSED_UNIT_SECONDS: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3_600 };
/** The longest calendar month, in seconds: 31 days (Amazon's cap month is a calendar month, UTC). */
const LONGEST_MONTH_SECONDS = 31 * 86_400;

/**
 * The most billing dates a plan can put in one calendar month, for the Charge Permission's
 * monthly cap (Amazon Pay caps the sum of a permission's charges per calendar month, reference
 * §5.5/§12.4), for every unit. Counted in a 31-day month: month and year intervals 1; every
 * `count` weeks ⌊30 / (7·count)⌋ + 1 (weekly 5, fortnightly 3); every `count` days
 * ⌊30 / count⌋ + 1 (daily 31), on the buyer's calendar; the sandbox-only second/minute/hour
 * intervals are elapsed time, so ⌈31 days / (count units)⌉ (every minute 44,640, every hour 744).
 * The count the start, checkout and plan-change checks hold the cap to (client/subscriptions/amazon-checks.ts). Pure.
 */
export function cyclesPerCalendarMonth(interval: { unit: string; count: number }): number {
  const DAYS_AFTER_THE_FIRST = 30;
  switch (interval.unit) {
    case 'day':
      return Math.floor(DAYS_AFTER_THE_FIRST / interval.count) + 1;
    case 'week':
      return Math.floor(DAYS_AFTER_THE_FIRST / (7 * interval.count)) + 1;
    case 'month':
    case 'year':
      return 1;
    default: {
      const seconds = ELAPSED_UNIT_SECONDS[interval.unit];
      if (seconds === undefined) throw new Error(`Unknown interval unit ${JSON.stringify(interval.unit)}: expected one of ${INTERVAL_UNITS.join(', ')}`);
      return Math.ceil(LONGEST_MONTH_SECONDS / (seconds * interval.count));
    }
  }
}

/**
 * The subscription workflow's count (workflows/settle-cycle.ts capCannotReset, which imports it):
 * cyclesPerCalendarMonth for day, week, month and year, null for anything else — the sandbox-only
 * second/minute/hour intervals, which that workflow code holds to the cap per cycle only. Kept apart because a count for them would change
 * what running and recorded workflows do after a PeriodicAmountExceeded (needs_attention instead
 * of waiting for the month's reset): that change belongs behind a patched() in the workflow.
 */
export function maxCyclesPerCalendarMonth(interval: { unit: string; count: number }): number | null {
  return (CALENDAR_UNITS as readonly string[]).includes(interval.unit) ? cyclesPerCalendarMonth(interval) : null;
}
