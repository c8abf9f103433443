import { describe, expect, it } from 'vitest';
import {
  controlCharacterProblem,
  normaliseCurrency,
  normalisePlanCurrency,
  isIsoInstant,
  parseLocalDateTime,
  validateAmountMinor,
  validateChargeId,
  validateCheckoutSessionId,
  normaliseCheckoutSessionId,
  CHECKOUT_SESSION_ID_PATTERN,
  validateChargePermissionId,
  validateCurrency,
  validateEnd,
  validateInterval,
  validateMerchantMetadata,
  validatePlan,
  validateSoftDescriptor,
  validateSubscriptionId,
  validateSubscriptionSpec,
} from '../../../billing/plan-rules.js';
import type { SubscriptionSpec } from '../../../billing/types.js';

const sandbox = { environment: 'sandbox' } as const;
const live = { environment: 'live' } as const;

const validSpec: SubscriptionSpec = {
  id: 'sub_123',
  chargePermissionId: 'S01-1234567-1234567',
  plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } },
  anchor: { localDateTime: '2025-01-31T09:00', zone: 'America/New_York' },
  softDescriptor: 'ACME Monthly',
  merchantMetadata: { merchantReferenceId: 'order-1', merchantStoreName: 'ACME' },
  firstChargeId: 'S01-1234567-1234567-C000001',
  end: { afterCycles: 12 },
};

describe('amount', () => {
  it.each(['1', '1400', '999999999999999'])('accepts %j', (v) => {
    expect(validateAmountMinor(v)).toEqual([]);
  });

  it.each([
    ['0', /positive whole number of minor units/],
    ['0100', /leading zeros/],
    ['14.00', /decimal point/],
    ['-1', /without sign/],
    [' 1', /spaces/],
    ['1000000000000000', /at most 15 digits, got 16/],
    [1400, /must be a string of digits.*got number 1400/],
  ])('rejects %j', (v, message) => {
    const problems = validateAmountMinor(v);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe('amountMinor');
    expect(problems[0]?.message).toMatch(message);
  });
});

describe('currency', () => {
  it('accepts JPY', () => expect(validateCurrency('JPY')).toEqual([]));
  it('reads a typed or sent currency in any letter case, with spaces around, as the upper-case code', () => {
    expect(['usd', ' Usd ', 'USD', 'jpy'].map(normaliseCurrency)).toEqual(['USD', 'USD', 'USD', 'JPY']);
    expect(normaliseCurrency(42)).toBe(42);
    expect(normalisePlanCurrency({ amountMinor: '1400', currency: 'eur', interval: { unit: 'month', count: 1 } })).toEqual({
      amountMinor: '1400',
      currency: 'EUR',
      interval: { unit: 'month', count: 1 },
    });
    expect(validateCurrency(normaliseCurrency('gbp'))).toEqual([]);
    expect(validateCurrency(normaliseCurrency('btc'))[0]?.message).toMatch(/got "BTC"$/);
  });
  it('rejects BTC and lists the accepted codes', () => {
    expect(validateCurrency('BTC')).toEqual([
      {
        field: 'currency',
        message: 'must be one of USD, EUR, GBP, JPY, AUD, CHF, DKK, HKD, NOK, NZD, SEK, ZAR, CAD (ISO 4217; letter case is ignored), got "BTC"',
      },
    ]);
  });
});

describe('interval', () => {
  it.each([
    [{ unit: 'month', count: 1 }, live],
    [{ unit: 'year', count: 1000 }, live],
    [{ unit: 'second', count: 30 }, sandbox],
    [{ unit: 'hour', count: 1_000_000 }, sandbox],
  ])('accepts %j in %j', (interval, options) => {
    expect(validateInterval(interval, options)).toEqual([]);
  });

  it('rejects minutes in live and says they are sandbox-only', () => {
    expect(validateInterval({ unit: 'minute', count: 5 }, live)).toEqual([
      { field: 'interval.unit', message: '"minute" intervals are sandbox-only (for fast test cycles); in live use day, week, month or year' },
    ]);
  });

  it.each([
    [{ unit: 'day', count: 0 }, 'interval.count', /from 1 to 1000 for unit "day", got number 0/],
    [{ unit: 'week', count: 1001 }, 'interval.count', /from 1 to 1000/],
    [{ unit: 'month', count: 1.5 }, 'interval.count', /whole number/],
    [{ unit: 'second', count: 1_000_001 }, 'interval.count', /from 1 to 1000000/],
    [{ unit: 'fortnight', count: 1 }, 'interval.unit', /one of second, minute, hour, day, week, month, year, got "fortnight"/],
    [{ unit: 'month', count: '1' }, 'interval.count', /got "1"/],
  ])('rejects %j', (interval, field, message) => {
    const [problem] = validateInterval(interval, sandbox);
    expect(problem?.field).toBe(field);
    expect(problem?.message).toMatch(message);
  });
});

describe('soft descriptor and metadata', () => {
  it('accepts 16 ASCII characters', () => expect(validateSoftDescriptor('A'.repeat(16))).toEqual([]));
  it('rejects 17 characters', () => {
    expect(validateSoftDescriptor('A'.repeat(17))).toEqual([
      { field: 'softDescriptor', message: 'must be at most 16 bytes (16 ASCII characters), got 17 bytes' },
    ]);
  });
  it('counts bytes: 9 "é" are 18 bytes', () => {
    expect(validateSoftDescriptor('é'.repeat(9))[0]?.message).toMatch(/got 18 bytes/);
  });
  it('rejects an empty descriptor (omit it instead)', () => {
    expect(validateSoftDescriptor('')[0]?.message).toMatch(/non-empty .* or omitted/);
  });

  it.each([
    ['merchantReferenceId', 256],
    ['merchantStoreName', 50],
    ['noteToBuyer', 255],
    ['customInformation', 4096],
  ])('%s accepts %i characters and rejects one more', (key, max) => {
    expect(validateMerchantMetadata({ [key]: 'x'.repeat(max) })).toEqual([]);
    expect(validateMerchantMetadata({ [key]: 'x'.repeat(max + 1) })).toEqual([
      { field: `merchantMetadata.${key}`, message: `must be at most ${max} characters, got ${max + 1}` },
    ]);
  });

  it('rejects an unknown metadata field and lists the known ones', () => {
    expect(validateMerchantMetadata({ orderId: '1' })[0]).toEqual({
      field: 'merchantMetadata.orderId',
      message: 'is not a known field; accepted: merchantReferenceId, merchantStoreName, noteToBuyer, customInformation',
    });
  });
});

describe('ids', () => {
  it.each(['a', 'sub_1.2:3-4', 'x'.repeat(64)])('subscription id %j is valid', (id) => expect(validateSubscriptionId(id)).toEqual([]));
  it.each(['', 'x'.repeat(65), 'a b', 'a/b', 'ü'])('subscription id %j is invalid', (id) => {
    expect(validateSubscriptionId(id)[0]?.message).toMatch(/1 to 64 characters of A-Z a-z 0-9 _ \. : -/);
  });

  it.each(['S01-1234567-1234567', 'C03-1442027-5744374'])('charge permission %j is valid', (id) => expect(validateChargePermissionId(id)).toEqual([]));
  it.each(['s01-1234567-1234567', 'S01-123456-1234567', 'S01-1234567-1234567-C1', ' S01-1234567-1234567'])('charge permission %j is invalid', (id) => {
    expect(validateChargePermissionId(id)[0]?.message).toMatch(/must look like "S01-1234567-1234567"/);
  });

  it.each(['S01-1234567-1234567-C000001', 'S03-5890444-1926095-C064126'])('charge id %j is valid', (id) => expect(validateChargeId(id)).toEqual([]));
  it.each(['S01-1234567-1234567', 'S01-1234567-1234567-R000001', 'S01-1234567-1234567-C'])('charge id %j is invalid', (id) => {
    expect(validateChargeId(id)[0]?.message).toMatch(/must look like "S01-1234567-1234567-C123456"/);
  });

  // Amazon's form (reference §1; the simulator's crypto.randomUUID()), not any letters and hyphens.
  // Any letter case and surrounding spaces (a merchant's framework may upper-case the id), one normalised form: Amazon's lower case.
  it.each([
    'bd504926-f659-4ad7-a1a9-9a747aaf5275',
    '00000000-0000-0000-0000-000000000000',
    'BD504926-F659-4AD7-A1A9-9A747AAF5275',
    'Bd504926-f659-4AD7-a1a9-9a747aaf5275',
    ' bd504926-f659-4ad7-a1a9-9a747aaf5275 ',
  ])('checkout session %j is valid, and normalised to lower case', (id) => {
    expect(validateCheckoutSessionId(id)).toEqual([]);
    const normalised = normaliseCheckoutSessionId(id);
    expect(normalised).toMatch(CHECKOUT_SESSION_ID_PATTERN);
    expect(normalised).toBe(id.trim().toLowerCase());
  });
  it.each([
    'abc',
    'S01-1234567-1234567',
    'bd504926f6594ad7a1a99a747aaf5275',
    'bd504926-f659-4ad7-a1a9-9a747aaf527g',
    'BD504926-F659-4AD7-A1A9-9A747AAF527G',
    'bd504926-f659-4ad7-a1a9-9a747aaf5275-0',
  ])('checkout session %j is invalid, saying what is accepted', (id) => {
    const [problem, ...more] = validateCheckoutSessionId(id);
    expect(more).toEqual([]);
    expect(problem?.message).toMatch(
      /^must be the amazonCheckoutSessionId .*a UUID such as "bd504926-f659-4ad7-a1a9-9a747aaf5275" \(8-4-4-4-12 .*in any letter case\), got /,
    );
    expect(problem?.message).not.toMatch(/\n/);
  });
});

describe('local date-time and instants', () => {
  it('parses with and without seconds', () => {
    expect(parseLocalDateTime('2024-02-29T23:59:59')).toEqual({ year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59 });
    expect(parseLocalDateTime('2025-01-31T09:00')).toEqual({ year: 2025, month: 1, day: 31, hour: 9, minute: 0, second: 0 });
  });
  it.each(['2025-02-29T00:00', '2025-04-31T00:00', '2025-01-01T24:00', '2025-01-01', '2025-01-01T09:00Z', '2025-01-01T09:00:00.000', '2025-1-1T09:00'])(
    'rejects %j',
    (v) => expect(parseLocalDateTime(v)).toBeUndefined(),
  );
  it.each(['2025-01-01T00:00:00Z', '2025-01-01T00:00Z', '2025-01-01T00:00:00.123+05:30'])('%j is an ISO instant', (v) => expect(isIsoInstant(v)).toBe(true));
  it.each(['2025-01-01T00:00:00', '2025-02-30T00:00:00Z', 'tomorrow'])('%j is not an ISO instant', (v) => expect(isIsoInstant(v)).toBe(false));

  it('end must be exactly one of afterCycles or at', () => {
    expect(validateEnd({ afterCycles: 0 })[0]?.message).toMatch(/from 1 to 1000000 \(cycle 0 counts\)/);
    expect(validateEnd({ at: '2025-13-01T00:00:00Z' })[0]?.field).toBe('end.at');
    expect(validateEnd({ afterCycles: 1, at: '2025-01-01T00:00:00Z' })[0]?.message).toMatch(/exactly one/);
  });
});

describe('validatePlan', () => {
  it('accepts a monthly 14.00 USD plan in live', () => {
    expect(validatePlan({ amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } }, live)).toEqual([]);
  });

  it('reports every problem with its dotted field', () => {
    const problems = validatePlan({ amountMinor: '14.00', currency: 'usd', interval: { unit: 'second', count: 0 } }, live);
    expect(problems.map((p) => p.field)).toEqual(['plan.amountMinor', 'plan.currency', 'plan.interval.unit', 'plan.interval.count']);
  });

  it('rejects a non-object', () => {
    expect(validatePlan(null, live)).toEqual([{ field: 'plan', message: 'must be an object { amountMinor, currency, interval }, got null' }]);
  });
});

describe('validateSubscriptionSpec', () => {
  it('accepts a complete valid spec', () => {
    expect(validateSubscriptionSpec(validSpec, live)).toEqual([]);
  });

  it('reports each bad field', () => {
    const problems = validateSubscriptionSpec(
      {
        ...validSpec,
        id: '',
        chargePermissionId: 'nope',
        anchor: { localDateTime: '2025-02-30T09:00', zone: '' },
        trial: { unit: 'hour', count: 1 },
        softDescriptor: 'x'.repeat(20),
      },
      live,
    );
    expect(problems.map((p) => p.field)).toEqual([
      'id',
      'chargePermissionId',
      'anchor.localDateTime',
      'anchor.zone',
      'trial.unit',
      'softDescriptor',
      'firstChargeId',
    ]);
    expect(problems.at(-1)?.message).toMatch(/cannot be combined with a trial/);
  });

  it('rejects a non-object spec', () => {
    expect(validateSubscriptionSpec('spec', live)).toEqual([
      { field: 'spec', message: 'must be an object { id, chargePermissionId, plan, anchor, … } (a subscription spec), got "spec"' },
    ]);
  });
});

describe('free text: no control characters', () => {
  it.each([
    ['x\u0000y', 'U+0000 at position 2'],
    ['\u001b[31mred', 'U+001B at position 1'],
    ['tab\there', 'U+0009 at position 4'],
    ['del\u007f', 'U+007F at position 4'],
    ['c1\u0085', 'U+0085 at position 3'],
    ['line\u2028separator', 'U+2028 at position 5'],
    ['para\u2029separator', 'U+2029 at position 5'],
  ])('refuses %j on one line (%s)', (value, where) => {
    expect(controlCharacterProblem(value)).toContain(`found ${where}`);
  });

  it('accepts printable text, and line breaks and tabs where several lines are allowed', () => {
    expect(controlCharacterProblem('Kündigung auf Wunsch — 日本語 😀')).toBeNull();
    expect(controlCharacterProblem('line 1\nline 2\r\n\tend', { multiLine: true })).toBeNull();
    expect(controlCharacterProblem('line 1\u2028line 2\u2029', { multiLine: true })).toBeNull();
    expect(controlCharacterProblem('a\u2028b')).toMatch(
      /^must not contain line separators \(found U\+2028 at position 2\); accepted: printable text on one line$/,
    );
    expect(controlCharacterProblem('line 1\u0000', { multiLine: true })).toContain('U+0000');
  });

  it('applies to the soft descriptor and every merchant metadata field', () => {
    expect(validateSoftDescriptor('ab\u0000')).toEqual([{ field: 'softDescriptor', message: expect.stringContaining('U+0000') }]);
    expect(validateMerchantMetadata({ noteToBuyer: 'thanks\nsee you', merchantStoreName: 'shop\u0007' })).toEqual([
      { field: 'merchantMetadata.merchantStoreName', message: expect.stringContaining('U+0007') },
    ]);
  });
});
