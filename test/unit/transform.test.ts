import { describe, expect, it } from 'vitest';
import type { RawRow } from '../../src/etl/classify.ts';
import { transform, transformYielding } from '../../src/etl/transform.ts';

const now = new Date('2024-06-15T12:00:00Z');
const row = (over: Partial<RawRow> = {}): RawRow => ({ date: '2024-01-02', open: '10.5000', high: '11.0000', low: '10.0000', close: '10.7500', volume: '1000', ...over });

describe('transform', () => {
  it('makes exact bars, upper-cases the ticker and sorts ascending', () => {
    const out = transform('ibm', [row({ date: '2024-01-03', close: '10.9999' }), row()], { now });
    expect(out).toEqual({
      rejected: 0,
      rejections: [],
      bars: [
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
    expect(out.bars.map((b) => b.date)).toEqual(['2024-01-01', '2024-01-03']);
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
    expect(out.bars).toHaveLength(6);
  });

  it('counts every rejection but keeps only the first 50 reasons', () => {
    const rows = Array.from({ length: 120 }, (_, i) => row({ date: `bad-${i}` }));
    const out = transform('T', rows, { now });
    expect(out.rejected).toBe(120);
    expect(out.rejections).toHaveLength(50);
  });

  it.each([1, 2, 3, 500])('transformYielding (slices of %i rows) gives the same result as transform', async (slice) => {
    const rows = Array.from({ length: 10 }, (_, i) => row({ date: `2024-01-${String(10 - i).padStart(2, '0')}`, open: i % 3 ? '10.5' : 'bad' }));
    rows.push(row({ date: '2024-01-05' })); // a duplicate date rejects both copies
    const expected = transform('t', rows, { now });
    expect(expected.rejected).toBe(6);
    expect(await transformYielding('t', rows, { now }, slice)).toEqual(expected);
  });

  it('transformYielding lets other work run between slices', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => row({ date: `2024-01-0${i + 1}` }));
    let turns = 0;
    const counting = (async () => { for (let i = 0; i < 100; i++) { await new Promise((r) => setImmediate(r)); turns++; } })();
    const out = await transformYielding('T', rows, { now }, 2);
    const turnsDuring = turns;
    await counting;
    expect(out.bars).toHaveLength(6);
    expect(turnsDuring).toBeGreaterThanOrEqual(2); // one turn per slice boundary at least
  });
});
