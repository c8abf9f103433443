import { describe, expect, it } from 'vitest';
import { amountMinorFrom, parseIntervalText } from '../../../client/cli/values.js';
import { InvalidInputError } from '../../../client/errors.js';
import { csvLine } from '../../../client/cli/csv.js';
import { parseMajorAmount, SUPPORTED_CURRENCIES } from '../../../billing/money.js';
import { exampleAmount, validateAmountMinor } from '../../../billing/plan-rules.js';
import { showInstant, showMoney, table } from '../../../client/cli/format.js';

describe('amounts typed on the command line', () => {
  it.each([
    ['14.00', 'USD', '1400'],
    ['14', 'USD', '1400'],
    ['0.5', 'EUR', '50'],
    ['500', 'JPY', '500'],
  ])('%s %s is %s minor units', (amount, currency, minor) => {
    expect(amountMinorFrom({ amount, currency })).toBe(minor);
  });

  it.each([['-5'], ['abc'], ['1,000.00'], ['0'], ['14.001'], ['']])('refuses %j with a message naming the field and the accepted form', (amount) => {
    expect(() => amountMinorFrom({ amount, currency: 'USD' })).toThrow(InvalidInputError);
    expect(() => amountMinorFrom({ amount, currency: 'USD' })).toThrow(/amount must be a positive amount in USD such as "14.00"/);
  });

  it('gives examples that are valid in the currency: JPY has no decimals', () => {
    expect(() => amountMinorFrom({ amount: '14.00', currency: 'JPY' })).toThrow(
      'amount must be a positive amount in JPY such as "1400" (no sign, no thousands separators, at most the currency\'s decimals), got "14.00"',
    );
    expect(() => amountMinorFrom({ currency: 'JPY' })).toThrow('amount is required (e.g. --amount 1400 for 1400 JPY)');
    expect(() => amountMinorFrom({ currency: 'EUR' })).toThrow('amount is required (e.g. --amount 14.00 for 14.00 EUR)');
    // Each example a message suggests is accepted in its currency.
    for (const currency of SUPPORTED_CURRENCIES) {
      const example = exampleAmount(currency);
      expect(amountMinorFrom({ amount: example.major, currency })).toBe(parseMajorAmount(example.major, currency).amountMinor.toString());
      expect(validateAmountMinor(example.minor, 'amountMinor', currency)).toEqual([]);
      expect(validateAmountMinor('-1', 'amountMinor', currency)[0]?.message).toContain(`e.g. "${example.minor}" for ${example.major} ${currency}`);
      expect(() => parseMajorAmount('1.2345', currency)).toThrow(new RegExp(`e\\.g\\. "${example.major.replace('.', '\\.')}"`));
    }
  });

  it('accepts a currency in any letter case', () => {
    expect(amountMinorFrom({ amount: '14.00', currency: 'usd' })).toBe('1400');
    expect(amountMinorFrom({ amount: '500', currency: ' jpy ' })).toBe('500');
  });

  it('refuses an unknown currency before looking at the amount', () => {
    expect(() => amountMinorFrom({ amount: '14.00', currency: 'XYZ' })).toThrow(/currency must be one of .*USD.*got "XYZ"/);
  });

  it('takes valid minor units as given, refuses others under their own option, and refuses both forms at once', () => {
    expect(amountMinorFrom({ amountMinor: '1400', currency: 'USD' })).toBe('1400');
    expect(() => amountMinorFrom({ amountMinor: '14.00', currency: 'USD' })).toThrow(/^amount-minor must be a positive whole number of minor units/);
    expect(() => amountMinorFrom({ amount: '14.00', amountMinor: '1400', currency: 'USD' })).toThrow(
      'amount is not taken together with --amount-minor: give one of them',
    );
  });
});

describe('intervals typed on the command line', () => {
  it.each([
    ['month', { unit: 'month', count: 1 }],
    ['1 month', { unit: 'month', count: 1 }],
    ['2 weeks', { unit: 'week', count: 2 }],
    ['3days', { unit: 'day', count: 3 }],
    ['Minute', { unit: 'minute', count: 1 }],
  ])('%j', (text, interval) => {
    expect(parseIntervalText(text)).toEqual(interval);
  });

  it.each([['fortnight'], ['2'], ['-1 month'], ['1.5 months'], ['2 weeks x'], [' '.repeat(32)]])('refuses %j naming the accepted units', (text) => {
    expect(() => parseIntervalText(text)).toThrow(
      /interval must be "<count> <unit>" or "<unit>" with unit one of second, minute, hour, day, week, month, year/,
    );
  });

  it('accepts spaces around and inside, and refuses text longer than any interval before matching it', () => {
    expect(parseIntervalText('  2   weeks  ')).toEqual({ unit: 'week', count: 2 });
    expect(() => parseIntervalText(' '.repeat(33))).toThrow(/interval must be .* in at most 32 characters, got a text of 33 characters/);
    // 40,000 spaces took 2.1 s with the old pattern (quadratic backtracking); now the length check refuses it.
    expect(() => parseIntervalText(`${' '.repeat(40_000)}month`, 'trial')).toThrow(
      /^trial must be .* in at most 32 characters, got a text of 40005 characters$/,
    );
  });
});

describe('output formatting', () => {
  it('shows money with its currency', () => {
    expect(showMoney('1400', 'USD')).toBe('14.00 USD');
    expect(showMoney(500n, 'JPY')).toBe('500 JPY');
  });

  it('shows instants in the subscription zone and in UTC', () => {
    expect(showInstant('2025-03-31T13:00:00.000Z', 'America/New_York')).toBe('2025-03-31 09:00:00 America/New_York (13:00:00 UTC)');
    expect(showInstant('2025-03-31T02:00:00.000Z', 'America/New_York')).toBe('2025-03-30 22:00:00 America/New_York (2025-03-31 02:00:00 UTC)');
    expect(showInstant('2025-03-31T02:00:00.000Z', 'UTC')).toBe('2025-03-31 02:00:00 UTC');
    expect(showInstant(null, 'UTC')).toBe('—');
  });

  it('aligns table columns', () => {
    expect(
      table(
        ['id', 'status'],
        [
          ['a', 'active'],
          ['longer-id', 'paused'],
        ],
      ),
    ).toBe('id         status\n---------  ------\na          active\nlonger-id  paused\n');
  });

  it('writes CSV cells quoted when needed and defuses spreadsheet formulas', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', null, 3, '-5', '=SUM(A1)'])).toBe('a,"b,c","say ""hi""",,3,-5,"\'=SUM(A1)"\n');
  });
});
