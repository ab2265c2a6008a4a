import { describe, expect, it } from 'vitest';
import type { RawRow } from '../../src/sources/source.ts';
import { transform, transformDividends, transformPeriods, transformSplits } from '../../src/etl/transform.ts';

const now = new Date('2024-06-15T12:00:00Z');
const row = (over: Partial<RawRow> = {}): RawRow => ({ date: '2024-01-02', open: '10.5000', high: '11.0000', low: '10.0000', close: '10.7500', volume: '1000', ...over });

describe('transform', () => {
  it('makes exact bars, upper-cases the ticker and sorts ascending', () => {
    const out = transform('ibm', [row({ date: '2024-01-03', close: '10.9999' }), row()], { now });
    expect(out).toEqual({
      rejected: 0,
      rejections: [],
      rows: [
        { ticker: 'IBM', date: '2024-01-02', open: '10.5', high: '11', low: '10', close: '10.75', volume: 1000 },
        { ticker: 'IBM', date: '2024-01-03', open: '10.5', high: '11', low: '10', close: '10.9999', volume: 1000 },
      ],
    });
  });

  it.each([
    ['a missing field', { high: undefined }, 'missing field: high'],
    ['an empty field', { volume: '' }, 'missing field: volume'],
    ['a price that is not a number', { open: 'n/a' }, 'open is not a number'],
    ['NaN', { close: 'NaN' }, 'close is not a number'],
    ['a zero price', { low: '0', open: '0' }, 'open must be greater than 0'],
    ['a negative price', { close: '-1.00' }, 'close must be greater than 0'],
    ['a negative volume', { volume: '-5' }, 'volume must be 0 or more'],
    ['a fractional volume', { volume: '10.5' }, 'volume must be a whole number'],
    ['a volume that is not a number', { volume: 'lots' }, 'volume must be a number'],
    ['high below low', { high: '9.0000' }, 'high must not be below low (10)'],
    ['open above high', { open: '11.5000' }, 'open must be between low (10) and high (11)'],
    ['close below low', { close: '9.9999' }, 'close must be between low (10) and high (11)'],
    ['an impossible date', { date: '2024-02-30' }, 'date must be a real calendar date'],
    ['a date in another format', { date: '01/02/2024' }, 'date must be a date YYYY-MM-DD'],
    ['a future date', { date: '2024-06-20' }, 'date must not be in the future'],
    ['too many decimals', { open: '10.1234567' }, 'open must have at most 6 decimal places'],
  ])('rejects %s with its reason, and keeps the good rows', (_name, over, reason) => {
    const out = transform('T', [row({ date: '2024-01-01' }), row({ date: '2024-01-02', ...over }), row({ date: '2024-01-03' })], { now });
    expect(out.rejected).toBe(1);
    expect(out.rejections).toEqual([{ date: (over as Partial<RawRow>).date ?? '2024-01-02', reason }]);
    expect(out.rows.map((b) => b.date)).toEqual(['2024-01-01', '2024-01-03']);
  });

  it('rejects every copy of a duplicate date, from rows or from the response text', () => {
    const fromRows = transform('T', [row(), row({ date: '2024-01-03' }), row({ close: '10.9' })], { now });
    expect(fromRows.rejected).toBe(2);
    expect(fromRows.rejections.every((r) => r.date === '2024-01-02' && r.reason === 'duplicate date')).toBe(true);
    const fromText = transform('T', [row(), row({ date: '2024-01-03' })], { now, duplicates: ['2024-01-03'] });
    expect(fromText).toMatchObject({ rejected: 1, rejections: [{ date: '2024-01-03', reason: 'duplicate date' }] });
  });

  it('goes on after a bad row (the original stopped at the first)', () => {
    const rows = Array.from({ length: 10 }, (_, i) => row({ date: `2024-01-${String(i + 1).padStart(2, '0')}`, open: i % 3 ? '10.5' : 'bad' }));
    const out = transform('T', rows, { now });
    expect(out.rejected).toBe(4);
    expect(out.rows).toHaveLength(6);
  });

  it('counts every rejection but keeps only the first 50 reasons', () => {
    const rows = Array.from({ length: 120 }, (_, i) => row({ date: `bad-${i}` }));
    const out = transform('T', rows, { now });
    expect(out.rejected).toBe(120);
    expect(out.rejections).toHaveLength(50);
  });

  it('weekly and monthly bars: one per period, whichever day keys it; two in one period are both rejected', () => {
    const weekly = transformPeriods('T', '1w', [row({ date: '2024-01-05' }), row({ date: '2024-01-12' }), row({ date: '2024-01-08' })], { now });
    expect(weekly.rows.map((b) => b.date)).toEqual(['2024-01-05']);
    expect(weekly.rejections).toEqual([{ date: '2024-01-08', reason: 'two bars in one week' }, { date: '2024-01-12', reason: 'two bars in one week' }]);
    const monthly = transformPeriods('T', '1mo', [row({ date: '2024-01-31' }), row({ date: '2024-02-29' }), row({ date: '2024-03-28' })], { now });
    expect(monthly).toMatchObject({ rejected: 0, rows: [{ date: '2024-01-31' }, { date: '2024-02-29' }, { date: '2024-03-28' }] });
  });
});

describe('corporate actions', () => {
  it('splits: exact factors (reverse splits below 1), sorted, bad rows rejected with reasons', () => {
    const out = transformSplits([
      { ex_date: '2021-11-04', factor: '1.0460' }, { ex_date: '1999-05-27', factor: '2.0000' }, { ex_date: '2020-01-02', factor: '0.5000' },
      { ex_date: '2019-01-02', factor: '0' }, { ex_date: 'None', factor: '2' }, { ex_date: '2018-01-02', factor: 'x' },
    ], now);
    expect(out.rows).toEqual([{ ex_date: '1999-05-27', factor: '2' }, { ex_date: '2020-01-02', factor: '0.5' }, { ex_date: '2021-11-04', factor: '1.046' }]);
    expect(out.rejections).toEqual([
      { date: '2019-01-02', reason: 'factor must be greater than 0' }, { date: 'None', reason: 'missing field: ex_date' },
      { date: '2018-01-02', reason: 'factor must be a decimal number' },
    ]);
  });

  it('dividends: "None" dates become null, amounts stay exact, announced future dividends are kept, two on one ex-date rejected', () => {
    const out = transformDividends([
      { ex_date: '2024-05-09', declaration_date: '2024-04-30', record_date: '2024-05-10', payment_date: '2024-06-10', amount: '1.67' },
      { ex_date: '1999-02-08', declaration_date: 'None', record_date: 'None', payment_date: 'None', amount: '0.22' },
      { ex_date: '2024-08-09', declaration_date: '2024-06-01', record_date: 'None', payment_date: '2024-09-10', amount: '0.4' },
      { ex_date: '2023-01-05', declaration_date: '2022-12-01', record_date: 'None', payment_date: 'None', amount: '-1' },
      { ex_date: '2022-01-05', declaration_date: '2021-12-01', record_date: 'None', payment_date: 'None', amount: '0.1' },
      { ex_date: '2022-01-05', declaration_date: '2021-12-01', record_date: 'None', payment_date: 'None', amount: '0.2' },
    ], now);
    expect(out.rows).toEqual([
      { ex_date: '1999-02-08', declaration_date: null, record_date: null, payment_date: null, amount: '0.22' },
      { ex_date: '2024-05-09', declaration_date: '2024-04-30', record_date: '2024-05-10', payment_date: '2024-06-10', amount: '1.67' },
      { ex_date: '2024-08-09', declaration_date: '2024-06-01', record_date: null, payment_date: '2024-09-10', amount: '0.4' },
    ]);
    expect(out.rejections.map((r) => r.reason)).toEqual(['amount must be greater than 0', 'two dividends on one ex-date', 'two dividends on one ex-date']);
  });
});
