import { describe, expect, it } from 'vitest';
import { DateTime, Settings } from 'luxon';
import { billingInstant, validateAnchor, validateSubscriptionSpecWithSchedule, validateZone, validDateTime } from '../../../billing/schedule.js';
import type { SubscriptionSpec } from '../../../billing/types.js';

const spec: SubscriptionSpec = {
  id: 'sub_1',
  chargePermissionId: 'S01-1234567-1234567',
  plan: { amountMinor: '1400', currency: 'EUR', interval: { unit: 'month', count: 1 } },
  anchor: { localDateTime: '2025-01-31T09:00', zone: 'Europe/Berlin' },
};

describe('zone and anchor validation', () => {
  it.each(['America/New_York', 'Europe/Berlin', 'Europe/London', 'UTC'])('accepts %j', (zone) => expect(validateZone(zone)).toEqual([]));

  it.each(['Mars/Olympus', '', 'EST5EDT-ish', 42])('rejects %j with an example of an accepted name', (zone) => {
    expect(validateZone(zone)[0]?.message).toMatch(/must be an IANA time zone name .* such as "America\/New_York"/);
  });

  it('validateAnchor reports format and zone problems with their fields', () => {
    expect(validateAnchor({ localDateTime: '31/01/2025 09:00', zone: 'Nowhere/Land' }).map((p) => p.field)).toEqual(['anchor.localDateTime', 'anchor.zone']);
  });

  it.each([null, 'America/New_York', []])('validateAnchor reports a non-object anchor %j without throwing', (anchor) => {
    expect(validateAnchor(anchor)).toEqual([{ field: 'anchor', message: expect.stringMatching(/must be an object \{ localDateTime, zone \}/) }]);
  });

  it('validateAnchor accepts a wall time inside a DST gap (it is shifted, not rejected)', () => {
    expect(validateAnchor({ localDateTime: '2025-03-09T02:30', zone: 'America/New_York' })).toEqual([]);
  });
});

describe('validateSubscriptionSpecWithSchedule', () => {
  // Every refusal says what is accepted, whatever the field (and what was wrong: the cases below and plan-rules.test.ts check each text).
  it.each([
    ['a spec that is not an object', 'sub_1'],
    ['no fields at all', {}],
    [
      'every field wrong',
      {
        id: 'bad id!',
        chargePermissionId: 'X',
        plan: { amountMinor: '01', currency: 'XXX', interval: { unit: 'fortnight' } },
        anchor: { localDateTime: '2025-02-30T09:00', zone: '' },
        trial: { unit: 'day', count: 0 },
        end: { at: 'soon' },
        softDescriptor: 'x'.repeat(17),
        merchantMetadata: { noteToBuyer: '', other: 'x' },
        firstChargeId: 'C1',
      },
    ],
    ['a plan that is not an object, an end of both kinds', { ...spec, plan: 'monthly', end: { at: '2026-01-01T00:00:00Z', afterCycles: 3 } }],
    [
      'too many digits, a count too large, a sandbox unit in live',
      { ...spec, plan: { amountMinor: '1'.repeat(16), currency: 'EUR', interval: { unit: 'minute', count: 2_000_000 } } },
    ],
    [
      'a zero afterCycles, control characters',
      { ...spec, end: { afterCycles: 0 }, softDescriptor: 'a\u0007b', merchantMetadata: { customInformation: 'x'.repeat(4097) } },
    ],
    [
      'an unknown zone, a clamped anchor day that is not above the day',
      { ...spec, anchor: { localDateTime: '2025-01-31T09:00', zone: 'Mars/Olympus', dayOfMonth: 30 } },
    ],
    ['a first charge with a trial', { ...spec, trial: { unit: 'day', count: 14 }, firstChargeId: 'S01-1234567-1234567-C000001' }],
    ['an end before the start', { ...spec, end: { at: '2025-01-01T00:00:00Z' } }],
    ['an end inside the trial', { ...spec, trial: { unit: 'month', count: 1 }, end: { at: '2025-02-01T00:00:00Z' } }],
  ])('%s: each message says what was wrong and what is accepted', (_case, value) => {
    const problems = validateSubscriptionSpecWithSchedule(value, { environment: 'live' });
    expect(problems.length).toBeGreaterThan(0);
    for (const { field, message } of problems) {
      expect(message, field).toMatch(/\bmust (be|look like|have|not)\b|accepted:|\buse\b/);
      expect(message, field).not.toMatch(/\n/);
    }
  });

  it('accepts a valid spec', () => {
    expect(validateSubscriptionSpecWithSchedule(spec, { environment: 'live' })).toEqual([]);
  });

  it('adds the zone check that plan-rules cannot do', () => {
    const problems = validateSubscriptionSpecWithSchedule({ ...spec, anchor: { ...spec.anchor, zone: 'Europe/Atlantis' } }, { environment: 'live' });
    expect(problems.map((p) => p.field)).toEqual(['anchor.zone']);
  });

  it('rejects an end before the start, saying which ends are accepted', () => {
    const problems = validateSubscriptionSpecWithSchedule({ ...spec, end: { at: '2025-01-31T08:00:00Z' } }, { environment: 'live' });
    expect(problems).toEqual([
      {
        field: 'end.at',
        message:
          'must be after the subscription start 2025-01-31T08:00:00.000Z, got "2025-01-31T08:00:00Z"; accepted: an end instant after the start (ISO-8601 with Z or an offset), an end after a number of cycles instead, or no end',
      },
    ]);
  });

  it('rejects an end at or before the trial ends: no cycle would be billed', () => {
    const trial = { unit: 'month', count: 2 } as const;
    const problems = validateSubscriptionSpecWithSchedule({ ...spec, trial, end: { at: '2025-03-15T00:00:00Z' } }, { environment: 'live' });
    expect(problems).toEqual([
      {
        field: 'end.at',
        message: expect.stringMatching(
          /^must be after the trial's end 2025-03-31T\d\d:00:00\.000Z \(the first billing date; no cycle would be billed\), got "2025-03-15T00:00:00Z"; accepted: an end instant after the trial's end \(ISO-8601 with Z or an offset\), an end after a number of cycles instead \(the first is billed when the trial ends\), or no end$/,
        ),
      },
    ]);
    expect(validateSubscriptionSpecWithSchedule({ ...spec, trial, end: { at: '2025-05-01T00:00:00Z' } }, { environment: 'live' })).toEqual([]);
  });
});

describe('dates outside what Luxon can represent', () => {
  // Tests run with Settings.throwOnInvalid (config/luxon-strict.ts), like every entry point.
  it("answer with our message, not Luxon's, whether or not Luxon throws", () => {
    expect(Settings.throwOnInvalid).toBe(true);
    const anchor = { localDateTime: '2025-01-31T09:00', zone: 'America/New_York' };
    expect(() => billingInstant(anchor, { unit: 'year', count: 1 }, 900_000_000)).toThrow(/outside the supported date range/);
    Settings.throwOnInvalid = false;
    try {
      expect(() => billingInstant(anchor, { unit: 'year', count: 1 }, 900_000_000)).toThrow(/outside the supported date range/);
      expect(validDateTime(() => DateTime.fromISO('not a date'))).toBeUndefined();
    } finally {
      Settings.throwOnInvalid = true;
    }
    expect(validDateTime(() => DateTime.fromISO('not a date'))).toBeUndefined();
    expect(validDateTime(() => DateTime.fromISO('2025-01-31T09:00:00Z'))?.toISO()).toBe('2025-01-31T09:00:00.000Z');
  });
});
