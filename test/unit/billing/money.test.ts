import { describe, expect, it } from 'vitest';
import {
  add,
  allocate,
  currencyExponent,
  formatMoney,
  fromAmazonPrice,
  money,
  moneyFromDto,
  moneyToDto,
  parseDecimalAmount,
  parseMajorAmount,
  parseMinorUnits,
  SUPPORTED_CURRENCIES,
  sub,
  toAmazonPrice,
  toDecimalString,
} from '../../../billing/money.js';

describe('currency table', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['JPY', 0],
    ['AUD', 2],
    ['CHF', 2],
    ['DKK', 2],
    ['HKD', 2],
    ['NOK', 2],
    ['NZD', 2],
    ['SEK', 2],
    ['ZAR', 2],
    ['CAD', 2],
  ])('%s has exponent %i', (code, exponent) => {
    expect(currencyExponent(code)).toBe(exponent);
  });

  it('lists exactly the thirteen supported currencies', () => {
    expect([...SUPPORTED_CURRENCIES].sort()).toEqual(['AUD', 'CAD', 'CHF', 'DKK', 'EUR', 'GBP', 'HKD', 'JPY', 'NOK', 'NZD', 'SEK', 'USD', 'ZAR']);
  });

  it('rejects an unknown code and lists the accepted ones', () => {
    expect(() => currencyExponent('BTC')).toThrow(/Unknown currency "BTC".*USD, EUR, GBP, JPY/);
  });

  it('rejects a lower-case code', () => {
    expect(() => currencyExponent('usd')).toThrow(/Unknown currency "usd"/);
  });
});

describe('decimal strings', () => {
  it.each([
    [1400n, 'USD', '14.00'],
    [5n, 'USD', '0.05'],
    [0n, 'EUR', '0.00'],
    [123456789012345n, 'GBP', '1234567890123.45'],
    [500n, 'JPY', '500'],
    [0n, 'JPY', '0'],
    [-5n, 'USD', '-0.05'],
    [-1400n, 'JPY', '-1400'],
  ] as const)('%s minor %s formats as %s', (minor, currency, expected) => {
    expect(toDecimalString(money(minor, currency))).toBe(expected);
  });

  it.each([
    ['14.00', 'USD', 1400n],
    ['14', 'USD', 1400n],
    ['14.5', 'USD', 1450n],
    ['0.01', 'EUR', 1n],
    ['0', 'GBP', 0n],
    ['500', 'JPY', 500n],
    ['9999999999999.99', 'USD', 999999999999999n],
  ] as const)('parses %s %s as %s minor units', (input, currency, expected) => {
    expect(parseDecimalAmount(input, currency)).toEqual({ amountMinor: expected, currency });
  });

  it.each([
    ['14.001', 'USD', /USD allows at most 2 decimal places/],
    ['500.0', 'JPY', /JPY has no minor unit/],
    ['-14.00', 'USD', /no sign/],
    ['+14.00', 'USD', /no sign/],
    ['1e3', 'USD', /exponent/],
    [' 14.00', 'USD', /spaces/],
    ['14.00 ', 'USD', /spaces/],
    ['1,400.00', 'USD', /separators/],
    ['014.00', 'USD', /leading zeros/],
    ['14.', 'USD', /only digits and one decimal point/],
    ['.5', 'USD', /only digits and one decimal point/],
    ['', 'USD', /only digits/],
    ['NaN', 'USD', /only digits/],
    ['99999999999999.00', 'USD', /too large, at most 9999999999999.99 USD \(15 digits in minor units\)/],
    ['14.00', 'XYZ', /Unknown currency "XYZ"/],
  ] as const)('rejects %j in %s', (input, currency, message) => {
    expect(() => parseDecimalAmount(input, currency)).toThrow(message);
  });

  it('round-trips every supported currency through its decimal string', () => {
    for (const currency of SUPPORTED_CURRENCIES) {
      for (const minor of [0n, 1n, 9n, 10n, 99n, 100n, 101n, 1400n, 123456n, 999999999999999n]) {
        const m = money(minor, currency);
        expect(parseDecimalAmount(toDecimalString(m), currency), `${minor} ${currency}`).toEqual(m);
      }
    }
  });
});

describe('Amazon Pay price edge', () => {
  it('converts 14.00 USD and 500 JPY like the Amazon Pay samples', () => {
    expect(toAmazonPrice(money(1400n, 'USD'))).toEqual({ amount: '14.00', currencyCode: 'USD' });
    expect(toAmazonPrice(money(500n, 'JPY'))).toEqual({ amount: '500', currencyCode: 'JPY' });
  });

  it('round-trips every supported currency through an Amazon price', () => {
    for (const currency of SUPPORTED_CURRENCIES) {
      const m = money(123456n, currency);
      expect(fromAmazonPrice(toAmazonPrice(m))).toEqual(m);
    }
  });

  it('refuses to send a negative amount to Amazon Pay', () => {
    expect(() => toAmazonPrice(money(-1n, 'USD'))).toThrow(/negative amount.*-0.01 USD/);
  });

  it('rejects a response in another currency than the request', () => {
    expect(() => fromAmazonPrice({ amount: '14.00', currencyCode: 'EUR' }, 'USD')).toThrow(/returned an amount in EUR, but USD was expected/);
  });

  it('accepts a response in the expected currency', () => {
    expect(fromAmazonPrice({ amount: '14.00', currencyCode: 'USD' }, 'USD')).toEqual(money(1400n, 'USD'));
  });
});

describe('human input', () => {
  it('parses minor units "1400"', () => {
    expect(parseMinorUnits('1400')).toBe(1400n);
    expect(parseMinorUnits('0')).toBe(0n);
  });

  it.each(['14.00', '-1', '0100', ' 1400', '1e3', '', '1_000', '1234567890123456'])('parseMinorUnits rejects %j and says what is accepted', (input) => {
    expect(() => parseMinorUnits(input)).toThrow(/Invalid minor-unit amount .*(digits only|at most 15 digits)/);
  });

  it('parses a major amount "14.00" USD and "1500" JPY', () => {
    expect(parseMajorAmount('14.00', 'USD')).toEqual(money(1400n, 'USD'));
    expect(parseMajorAmount('1500', 'JPY')).toEqual(money(1500n, 'JPY'));
  });

  it('parseMajorAmount names the input, the currency and an example', () => {
    expect(() => parseMajorAmount('14.999', 'EUR')).toThrow('Invalid amount "14.999" for EUR: EUR allows at most 2 decimal places; e.g. "14.00" or "14"');
  });
});

describe('arithmetic and formatting', () => {
  it('formats as "14.00 USD"', () => {
    expect(formatMoney(money(1400n, 'USD'))).toBe('14.00 USD');
    expect(formatMoney(money(500n, 'JPY'))).toBe('500 JPY');
  });

  it('adds and subtracts in one currency', () => {
    expect(add(money(1400n, 'USD'), money(1n, 'USD'))).toEqual(money(1401n, 'USD'));
    expect(sub(money(1400n, 'USD'), money(1401n, 'USD'))).toEqual(money(-1n, 'USD'));
  });

  it('throws when adding or subtracting different currencies', () => {
    expect(() => add(money(1n, 'USD'), money(1n, 'EUR'))).toThrow('Cannot add 0.01 USD and 0.01 EUR: currencies differ');
    expect(() => sub(money(1n, 'USD'), money(1n, 'JPY'))).toThrow(/Cannot subtract .* currencies differ/);
  });
});

describe('DTOs', () => {
  it('round-trips through JSON as a digit string', () => {
    const m = money(999999999999999n, 'GBP');
    const json = JSON.stringify(moneyToDto(m));
    expect(json).toBe('{"amountMinor":"999999999999999","currency":"GBP"}');
    expect(moneyFromDto(JSON.parse(json))).toEqual(m);
  });

  it('keeps a negative amount', () => {
    expect(moneyFromDto(moneyToDto(money(-50n, 'USD')))).toEqual(money(-50n, 'USD'));
  });

  it.each(['14.00', '', '-0', '01', ' 1'])('rejects amountMinor %j', (amountMinor) => {
    expect(() => moneyFromDto({ amountMinor, currency: 'USD' })).toThrow(/Invalid amountMinor/);
  });

  it('rejects an unknown DTO currency', () => {
    expect(() => moneyFromDto({ amountMinor: '1', currency: 'usd' })).toThrow(/Unknown currency "usd"/);
  });
});

describe('allocate (largest remainder)', () => {
  it.each([
    ['100 by 1:1:1 is 34/33/33 (the left-over cent goes to the first of equal remainders)', 100n, [1, 1, 1], [34n, 33n, 33n]],
    ['1000 by 1:2:3 is 167/333/500 (left-over goes to the largest remainder)', 1000n, [1, 2, 3], [167n, 333n, 500n]],
    ['5 by 0:1 is 0/5 (a zero weight gets nothing)', 5n, [0, 1], [0n, 5n]],
    ['-100 by 1:1:1 is -34/-33/-33 (negative mirrors positive)', -100n, [1, 1, 1], [-34n, -33n, -33n]],
    ['0 by 3:7 is 0/0', 0n, [3, 7], [0n, 0n]],
  ])('%s', (_name, amount, weights, expected) => {
    const parts = allocate(money(amount, 'USD'), weights);
    expect(parts.map((p) => p.amountMinor)).toEqual(expected);
    expect(parts.reduce((sum, p) => sum + p.amountMinor, 0n)).toBe(amount);
  });

  it('always sums to the whole for awkward weights', () => {
    for (let amount = 0n; amount < 200n; amount += 7n) {
      const parts = allocate(money(amount, 'JPY'), [3, 5, 7, 11]);
      expect(parts.reduce((sum, p) => sum + p.amountMinor, 0n)).toBe(amount);
    }
  });

  it('rejects all-zero and negative weights', () => {
    expect(() => allocate(money(1n, 'USD'), [0, 0])).toThrow(/at least one weight greater than 0/);
    expect(() => allocate(money(1n, 'USD'), [1, -1])).toThrow(/Invalid allocation weight -1 at index 1/);
  });
});
