import { Big } from 'big.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  badTickers, checkPrices, compareDecimals, isCalendarDate, latestAllowedDate, parseDate, parsePrice, parseTicker, parseVolume, TICKER_ANY_CASE, tickerList,
} from '../../src/model/bar.ts';

describe('parsePrice', () => {
  it.each([
    ['150.00', '150'],
    ['150.10', '150.1'],
    [150.1, '150.1'],
    ['0.000001', '0.000001'],
    ['999999999.999999', '999999999.999999'],
    ['1.5e2', '150'],
    ['  42 ', '42'],
    [1e-6, '0.000001'],
    ['306.7500', '306.75'], // Alpha Vantage's form, on the fast path
    ['00012.50', '12.5'],
    ['7', '7'],
    ['10.000000', '10'],
    ['1.1234560', '1.123456'],
  ])('accepts %j as %s', (raw, expected) => {
    expect(parsePrice(raw)).toEqual({ ok: true, value: expected });
  });

  it.each([
    [0, 'must be greater than 0'],
    ['0.0', 'must be greater than 0'],
    ['-1', 'must be greater than 0'],
    ['1000000000', 'must be less than 1000000000'],
    ['1e999999', 'must be less than 1000000000'],
    ['1.0000001', 'must have at most 6 decimal places'],
    ['1e-999999', 'must have at most 6 decimal places'],
    ['abc', 'must be a decimal number'],
    ['NaN', 'must be a decimal number'],
    ['Infinity', 'must be a decimal number'],
    ['', 'must be a decimal number'],
    ['1,5', 'must be a decimal number'],
    ['0x10', 'must be a decimal number'],
    ['1'.repeat(65), 'must be a decimal number'],
    [`${'0'.repeat(64)}1`, 'must be a decimal number'],
    ['1.', 'must be a decimal number'],
    ['.5', 'must be a decimal number'],
    ['0.000000', 'must be greater than 0'],
    ['000', 'must be greater than 0'],
    ['1.1234567', 'must have at most 6 decimal places'],
    ['1234567890.5', 'must be less than 1000000000'],
    [Number.NaN, 'must be a number or a decimal string'],
    [Number.POSITIVE_INFINITY, 'must be a number or a decimal string'],
    [null, 'must be a number or a decimal string'],
    [true, 'must be a number or a decimal string'],
  ])('rejects %j: %s', (raw, message) => {
    expect(parsePrice(raw)).toEqual({ ok: false, message });
  });
});

describe('parseVolume', () => {
  it.each([
    [0, 0], [1_000_000, 1_000_000], [2 ** 31 + 5, 2 ** 31 + 5], ['5687955', 5687955], [' 42 ', 42], ['1200.0', 1200], ['1200.', 1200],
    ['-0', 0], [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
  ])('accepts %j', (raw, expected) => expect(parseVolume(raw)).toEqual({ ok: true, value: expected }));

  it.each([
    [-1, 'must be 0 or more'],
    ['-5', 'must be 0 or more'],
    [1.5, 'must be a whole number'],
    ['1.5', 'must be a whole number'],
    ['12a', 'must be a number'],
    ['', 'must be a number'],
    ['1e6', 'must be a number'],
    [Number.NaN, 'must be a number'],
    [2 ** 53, `must be at most ${Number.MAX_SAFE_INTEGER}`],
    ['99999999999999999999', `must be at most ${Number.MAX_SAFE_INTEGER}`],
    [null, 'must be a number'],
  ])('rejects %j: %s', (raw, message) => expect(parseVolume(raw)).toEqual({ ok: false, message }));
});

describe('parseDate', () => {
  const now = new Date('2024-06-15T12:00:00Z');
  it.each(['2024-02-29', '2024-06-15', '2024-06-16', '1800-01-01'])('accepts %s', (d) => {
    expect(parseDate(d, now)).toEqual({ ok: true, value: d });
  });
  it.each([
    ['2024-02-30', 'must be a real calendar date'],
    ['2023-02-29', 'must be a real calendar date'],
    ['2024-13-01', 'must be a real calendar date'],
    ['2024-06-17', 'must not be in the future'],
    ['1799-12-31', 'must be 1800-01-01 or later'],
    ['2024-6-1', 'must be a date YYYY-MM-DD'],
    ['20240101', 'must be a date YYYY-MM-DD'],
    [20240101, 'must be a date string YYYY-MM-DD'],
  ])('rejects %j: %s', (d, message) => expect(parseDate(d, now)).toEqual({ ok: false, message }));

  it('counts as today whatever is today somewhere on Earth (UTC+14)', () => {
    expect(latestAllowedDate(new Date('2024-06-15T09:59:59Z'))).toBe('2024-06-15');
    expect(latestAllowedDate(new Date('2024-06-15T10:00:00Z'))).toBe('2024-06-16');
  });
});

describe('isCalendarDate', () => {
  it.each([
    ['2024-02-29', true], ['2023-02-29', false], ['1900-02-29', false], ['2000-02-29', true], ['2024-04-31', false],
    ['2024-12-31', true], ['2024-13-01', false], ['2024-00-10', false], ['2024-01-00', false], ['0001-01-01', true],
    ['0000-01-01', false], ['2024-1-01', false], ['20240101', false],
  ])('%s → %s', (text, ok) => expect(isCalendarDate(text)).toBe(ok));
});

describe('parseTicker', () => {
  it.each([['aapl', 'AAPL'], ['BRK.B', 'BRK.B'], ['rds-a', 'RDS-A'], ['X', 'X'], ['A'.repeat(16), 'A'.repeat(16)], ['7203.T', '7203.T'], ['0', '0']])(
    'accepts %s as %s', (raw, expected) => expect(parseTicker(raw)).toEqual({ ok: true, value: expected }));
  // The first character a letter or digit: `-2-3` in a CSV export is a spreadsheet formula.
  it.each(['', 'A'.repeat(17), 'AA PL', "A';DROP", 'ÄPPLE', 'A/B', '-2-3', '-', '.B', '=1+1', '+1', '@SUM'])('rejects %j', (raw) => {
    expect(parseTicker(raw).ok).toBe(false);
  });
});

describe('tickerList and badTickers', () => {
  it.each([
    [[' aapl, msft ,,AAPL'], ['AAPL', 'MSFT']],
    [['brk.b', 'x,Y', ''], ['BRK.B', 'X', 'Y']],
    [[], []],
  ])('%j → %j', (values, expected) => expect(tickerList(values)).toEqual(expected));
  it('names every ticker that breaks the rule, in order', () => {
    expect(badTickers(tickerList(['AAPL,-2-3,NOT A TICKER,MSFT']))).toEqual(['-2-3', 'NOT A TICKER']);
  });
});

describe('TICKER_ANY_CASE', () => {
  // The API's JSON Schema form of the rule: the same tickers as parseTicker, before upper-casing.
  const anyCase = new RegExp(`^${TICKER_ANY_CASE}$`);
  it.each(['aapl', 'BRK.b', 'A'.repeat(16), '7203.T', '', 'A'.repeat(17), '-2-3', '.B', 'A/B', 'ÄPPLE'])('agrees with parseTicker on %j', (raw) => {
    expect(anyCase.test(raw)).toBe(parseTicker(raw).ok);
  });
});

describe('checkPrices', () => {
  const ok = { open: '150', high: '155', low: '149', close: '153' };
  it.each([
    ['a normal bar', ok, []],
    ['all equal', { open: '1', high: '1', low: '1', close: '1' }, []],
    ['open at the bounds', { ...ok, open: '149' }, []],
    ['close at high', { ...ok, close: '155' }, []],
    ['differences beyond a float', { open: '0.000002', high: '0.000002', low: '0.000001', close: '0.000001' }, []],
    ['high below low', { ...ok, high: '148' }, [{ field: 'high', message: 'must not be below low (149)' }]],
    ['open above high', { ...ok, open: '155.000001' }, [{ field: 'open', message: 'must be between low (149) and high (155)' }]],
    ['close below low', { ...ok, close: '148.999999' }, [{ field: 'close', message: 'must be between low (149) and high (155)' }]],
    ['stored text with trailing zeros', { open: '150.000000', high: '155.000000', low: '149.000000', close: '155.000001' }, [
      { field: 'close', message: 'must be between low (149.000000) and high (155.000000)' }]],
    ['the widest prices', { open: '999999999.999999', high: '999999999.999999', low: '0.000001', close: '0.000001' }, []],
    ['one millionth below the top', { open: '999999999.999999', high: '999999999.999998', low: '1', close: '1' }, [
      { field: 'open', message: 'must be between low (1) and high (999999999.999998)' }]],
    ['forms outside the fast path, compared exactly', { open: '1.5e2', high: '1.55e2', low: '149', close: '1.4899999e2' }, [
      { field: 'close', message: 'must be between low (149) and high (1.55e2)' }]],
    ['both out', { ...ok, open: '160', close: '100' }, [
      { field: 'open', message: 'must be between low (149) and high (155)' },
      { field: 'close', message: 'must be between low (149) and high (155)' },
    ]],
  ])('%s', (_name, prices, expected) => expect(checkPrices(prices)).toEqual(expected));
});

describe('compareDecimals', () => {
  const decimal = fc.tuple(fc.stringMatching(/^\d{1,12}$/), fc.option(fc.stringMatching(/^\d{1,8}$/), { nil: undefined }))
    .map(([whole, fraction]) => (fraction === undefined ? whole : `${whole}.${fraction}`));
  it('orders plain decimals (leading and trailing zeros too) as big.js does', () => {
    fc.assert(fc.property(decimal, decimal, (a, b) => {
      expect(compareDecimals(a, b)).toBe(new Big(a).cmp(new Big(b)));
      expect(compareDecimals(a, `${a}${a.includes('.') ? '' : '.'}00`)).toBe(0);
      expect(compareDecimals(`0${a}`, a)).toBe(0);
    }), { numRuns: 2000 });
  });
});
