// Deep pages without a ticker filter are located through the per-day counts, not OFFSET: they must
// return exactly what OFFSET returns, in both orders, with date filters, across emptied days.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildList, listMarketData, SEEK_FROM_ROWS, type Order } from '../../../src/db/repositories/market-data-list.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

describe.each(DATABASE_KINDS)('deep pages on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    // 40 tickers × 120 days, then holes: a whole day deleted, some tickers missing on others.
    await t.db.exec(`
      INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT 'T' || lpad(n::text, 2, '0'), date '2020-01-01' + d, 10, 11, 9, 10, n * 1000 + d
      FROM generate_series(1, 40) AS n, generate_series(0, 119) AS d;
      DELETE FROM market_data WHERE date = date '2020-02-15';
      DELETE FROM market_data WHERE date BETWEEN date '2020-03-01' AND date '2020-03-10' AND ticker > 'T30';`);
  });
  afterAll(async () => t?.drop());

  async function reference(order: Order, offset: number, size: number, start?: string, end?: string) {
    const conds = [start && `date >= '${start}'`, end && `date <= '${end}'`].filter(Boolean);
    const { rows } = await t.db.query<{ id: number }>(
      `SELECT id FROM market_data ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
       ORDER BY date ${order}, ticker ASC LIMIT ${size} OFFSET ${offset}`);
    return rows.map((r) => r.id);
  }

  it.each([
    ['desc', SEEK_FROM_ROWS, 50, undefined, undefined],
    ['desc', 1001, 7, undefined, undefined],
    ['desc', 1799, 40, undefined, undefined], // across the emptied day
    ['desc', 3000, 100, undefined, undefined],
    ['desc', 4500, 50, undefined, undefined], // the last partial page
    ['desc', 4700, 50, undefined, undefined], // past the end
    ['asc', 1000, 50, undefined, undefined],
    ['asc', 2345, 33, undefined, undefined],
    ['asc', 4690, 50, undefined, undefined],
    ['desc', 1200, 50, '2020-01-20', '2020-04-10'],
    ['asc', 1500, 25, '2020-02-01', undefined],
    ['desc', 1000, 50, undefined, '2020-03-05'],
  ] as const)('%s, %i rows deep, size %i, from %s to %s: the same rows as OFFSET', async (order, offset, size, start, end) => {
    const filter = { order, startDate: start, endDate: end };
    expect(buildList(filter, { size, offset }).name).toContain('seek');
    const { items, total, count } = await listMarketData(t.db, filter, { size, offset });
    const ids = (JSON.parse(items) as { id: number }[]).map((r) => r.id);
    expect(ids).toEqual(await reference(order, offset, size, start, end));
    expect(count).toBe(ids.length);
    const all = await reference(order, 0, 100_000, start, end);
    expect(total).toBe(all.length);
  });

  it('keeps OFFSET where it is cheaper: shallow pages and ticker filters', () => {
    expect(buildList({ order: 'desc' }, { size: 50, offset: SEEK_FROM_ROWS - 1 }).name).not.toContain('seek');
    expect(buildList({ order: 'desc', tickers: ['T01'] }, { size: 50, offset: 5000 }).name).not.toContain('seek');
  });
});
