// Exact decimal text → DECIMAL(18,6)'s unscaled integer, and dates → epoch days, for the typed exports.
import { describe, expect, it } from 'vitest';
import { epochDay, unscaled } from '../../src/api/export-formats.ts';

describe('unscaled', () => {
  it.each([
    ['150.1', 150_100_000n],
    ['0.000001', 1n],
    ['999999999.999999', 999_999_999_999_999n],
    ['999999999999.999999', 999_999_999_999_999_999n], // 18 digits: the most DECIMAL(18,6) holds
    ['10', 10_000_000n],
    ['10.', 10_000_000n],
    ['007.5', 7_500_000n],
    ['-1.25', -1_250_000n],
    ['0', 0n],
    ['-0.5', -500_000n],
    ['123456789.123456', 123_456_789_123_456n], // 15 digits: the fast path's last exact size
    ['1234567890.123456', 1_234_567_890_123_456n], // 16 digits: through BigInt
  ])('%s → %s', (text, value) => {
    expect(unscaled(text)).toBe(value);
  });

  it.each([
    ['1.0000001', 'at most 6 places'],
    ['1000000000000', 'does not fit DECIMAL(18,6)'],
    ['1e5', 'not a decimal'],
    ['', 'not a decimal'],
    ['NaN', 'not a decimal'],
    [' 1', 'not a decimal'],
    ['.5', 'not a decimal'],
    ['1.2.3', 'not a decimal'],
    ['-', 'not a decimal'],
  ])('refuses %j', (text, message) => {
    expect(() => unscaled(text)).toThrow(message);
  });
});

describe('epochDay', () => {
  it.each([
    ['1970-01-01', 0],
    ['1969-12-31', -1],
    ['2000-02-29', 11_016],
    ['2016-06-01', 16_953],
  ])('%s → %i', (date, days) => {
    expect(epochDay(date)).toBe(days);
  });
});
