import { describe, expect, it } from 'vitest';
import { amountMinorFrom, parseIntervalText } from '../../../client/cli/values.js';
import { InvalidInputError } from '../../../client/errors.js';
import { csvLine } from '../../../client/cli/csv.js';
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

  it('refuses an unknown currency before looking at the amount', () => {
    expect(() => amountMinorFrom({ amount: '14.00', currency: 'XYZ' })).toThrow(/currency must be one of .*USD.*got "XYZ"/);
  });

  it('takes minor units as given (the library validates them) and refuses both forms at once', () => {
    expect(amountMinorFrom({ amountMinor: '1400', currency: 'USD' })).toBe('1400');
    expect(() => amountMinorFrom({ amount: '14.00', amountMinor: '1400', currency: 'USD' })).toThrow(/not both/);
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

  it.each([['fortnight'], ['2'], ['-1 month'], ['1.5 months']])('refuses %j naming the accepted units', (text) => {
    expect(() => parseIntervalText(text)).toThrow(/interval must be "<count> <unit>" or "<unit>" with unit one of second, minute, hour, day, week, month, year/);
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
    expect(table(['id', 'status'], [['a', 'active'], ['longer-id', 'paused']])).toBe('id         status\n---------  ------\na          active\nlonger-id  paused\n');
  });

  it('writes CSV cells quoted when needed and defuses spreadsheet formulas', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', null, 3, '-5', '=SUM(A1)'])).toBe('a,"b,c","say ""hi""",,3,-5,"\'=SUM(A1)"\n');
  });
});
