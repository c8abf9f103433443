// Shapes shared by the HTTP API's requests and responses. These zod schemas validate requests,
// serialize responses and generate the OpenAPI document (api/openapi.ts): one source for all three.
// Money is { amount: "14.00", currency: "USD" } here, a decimal string in major units as Amazon Pay
// writes it; inside the product it is integer minor units (billing/money.ts), converted in api/money.ts.
import { z } from 'zod';
import { CHARGE_ID_PATTERN, controlCharacterProblem, SUBSCRIPTION_ID_PATTERN } from '../../billing/plan-rules.js';
import { INTERVAL_UNITS, SUBSCRIPTION_STATUSES } from '../../billing/types.js';

/**
 * A string field: at most `max` characters and no control characters (PostgreSQL cannot store
 * U+0000, so one would otherwise fail a write long after the request was answered); `multiLine`
 * fields also take tabs and line breaks. Refused by shape (400) before any check runs.
 */
export const text = (max: number, description?: string, options: { multiLine?: boolean; error?: QueryError } = {}) => {
  const schema = z
    .string(options.error ? { error: options.error } : undefined)
    .max(max)
    .superRefine((value, ctx) => {
      const problem = controlCharacterProblem(value, options);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    });
  return description ? schema.describe(description) : schema;
};

type QueryError = (issue: { input?: unknown }) => string;

/**
 * The message of a refused query parameter, saying what `accepted` is: given more than once
 * (?status=a&status=b arrives as an array; no parameter takes several values), empty (?limit=),
 * or another value.
 */
export const queryError =
  (accepted: string): QueryError =>
  (issue) =>
    Array.isArray(issue.input)
      ? `is given ${issue.input.length} times (${issue.input.map((v) => JSON.stringify(v)).join(', ')}); give it once: ${accepted}`
      : issue.input === ''
        ? `is empty: give ${accepted}, or leave the parameter out`
        : `must be ${accepted}, got ${JSON.stringify(issue.input)}`;

/** A whole-number query parameter from min to max: digits only ("", "1.5", "1e3", "0x10" and " 1" are refused). */
export const queryInt = (min: number, max: number) => {
  const error = queryError(`a whole number from ${min} to ${max}`);
  return z
    .string({ error })
    .regex(/^[0-9]{1,9}$/, { error })
    .transform(Number)
    .pipe(z.number().min(min, { error }).max(max, { error }));
};

/** A query parameter from a fixed list of values. */
export const queryEnum = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: queryError(`one of ${values.join(', ')}`) });

/** A text query parameter: 1-max characters on one line (empty is refused, not taken for "no filter"). */
export const queryText = (max: number, description?: string) => {
  const error = queryError(`text of 1-${max} characters`);
  return text(max, description, { error }).min(1, { error });
};

export const MoneySchema = z
  .strictObject({
    amount: z
      .string()
      .min(1)
      .max(32)
      .describe('Decimal string in major units with at most the currency\'s decimals: "14.00", "14" (USD), "500" (JPY). No sign, exponent or separators.'),
    currency: z
      .string()
      .min(1)
      .max(8)
      .describe(
        'ISO 4217 code: USD, EUR, GBP, JPY, …; letter case and surrounding spaces are ignored ("usd" is USD). Answers always carry the upper-case code.',
      ),
  })
  .meta({ id: 'Money', description: 'An amount of money. Exact: never a float.' });

export const IntervalSchema = z
  .strictObject({
    unit: z.enum(INTERVAL_UNITS).describe('second, minute and hour exist only against the sandbox (demos and tests)'),
    count: z.number().int().min(1).max(1_000_000).default(1).describe('Units per cycle; default 1'),
  })
  .meta({ id: 'Interval', description: 'Length of a billing cycle or a trial, e.g. { "unit": "month", "count": 1 }.' });

export const AnchorSchema = z
  .strictObject({
    localDateTime: z.string().max(32).describe('Wall time in `zone` without offset: "2026-01-31T09:00" or "2026-01-31T09:00:00"'),
    zone: z.string().max(64).describe('IANA zone of the buyer, e.g. "America/New_York"'),
  })
  .meta({ id: 'Anchor', description: "When cycle 0 is due, as a wall time in the buyer's zone; every billing date derives from it." });

/** A stored anchor as the API shows it: the daemon may have set its intended day of month (a replacement continuing a month-end plan). */
export const StoredAnchorSchema = AnchorSchema.extend({
  dayOfMonth: z
    .number()
    .int()
    .optional()
    .describe(
      "Set by the daemon only, when localDateTime's day is a clamped month end: the day month/year cycles bill on where the month has it (31 for a plan continued from Feb 28 of a Jan 31 one: Mar 31, Apr 30, …)",
    ),
}).meta({ id: 'StoredAnchor', description: "When cycle 0 is due, as a wall time in the buyer's zone; every billing date derives from it." });

export const EndSchema = z
  .union([
    z.strictObject({ afterCycles: z.number().int().min(1).max(1_000_000).describe('Bill this many cycles in total, cycle 0 included') }),
    z.strictObject({ at: z.string().max(40).describe('ISO-8601 instant with Z or an offset: no cycle due at or after it is billed') }),
  ])
  .meta({ id: 'SubscriptionEnd', description: 'When the subscription stops by itself.' });

export const StatusSchema = z.enum(SUBSCRIPTION_STATUSES).meta({ id: 'SubscriptionStatus' });

// The pattern is documented (what the library accepts); a value outside it is the library's 422 naming the rule.
export const SubscriptionIdParams = z.strictObject({
  id: z.string().max(64).describe('Your subscription id').meta({ pattern: SUBSCRIPTION_ID_PATTERN.source }),
});
export const ChargeIdParams = z.strictObject({
  chargeId: z.string().max(64).describe('Amazon Pay ChargeId, e.g. S01-1234567-1234567-C000001').meta({ pattern: CHARGE_ID_PATTERN.source }),
});

export const ReasonSchema = text(500, 'Why, for the status history: at most 500 characters on one line, no control characters');

/**
 * The Idempotency-Key rule: visible ASCII only (0x21-0x7E), so a key survives every proxy and log
 * unchanged and two keys that look alike are alike; no spaces, tabs or other characters.
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
export const IDEMPOTENCY_KEY_RULE =
  'must be 1-255 visible ASCII characters (letters, digits, punctuation; no spaces, tabs or other characters), a UUID per operation is a good choice';

/** Every POST takes it; other headers pass through untouched (authorization is checked before validation). */
export const IdempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_KEY_RULE)
    .optional()
    .describe(
      'Makes the POST safe to retry: the same key with the same body returns the stored response (status and body) for 24 hours; with another body, 422. 1-255 visible ASCII characters (0x21-0x7E: no spaces); a malformed key is 400 invalid-idempotency-key. A UUID per operation is a good choice.',
    ),
});
