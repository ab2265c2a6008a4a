// Reads by id and creates that arrive together share statements; each caller still gets exactly
// its own answer, a refused row fails alone, and a lone request is not held back.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database, Queryable } from '../../../src/db/driver/database.ts';
import { batchedGet, batchedInsert } from '../../../src/db/repositories/market-data.ts';
import { batchedList, listMarketData, type ListFilter, type ListPage } from '../../../src/db/repositories/market-data-list.ts';
import { profileOf } from '../../../src/db/driver/profile.ts';
import type { Bar } from '../../../src/model/bar.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

const bar = (ticker: string, date: string, close = '10.5'): Bar => ({ ticker, date, open: '10', high: '11', low: '9', close, volume: 100 });

describe.each(DATABASE_KINDS)('batched reads and creates on %s', (kind) => {
  let t: TestDatabase;
  let statements: string[];
  /** Listings per batched listing statement (its parameter arrays' length). */
  let listBatchSizes: number[];
  let counted: Queryable;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    // The real database; only the statement names and listing batch sizes are noted, to see the batching.
    counted = {
      exec: (s) => t.db.exec(s),
      query: (text, params, options) => {
        statements.push(options?.name ?? text);
        if (options?.name?.endsWith('_batch')) listBatchSizes.push((params![0] as unknown[]).length);
        return t.db.query(text, params, options);
      },
    };
  });
  afterAll(async () => t?.drop());
  beforeEach(async () => {
    await t.reset();
    statements = [];
    listBatchSizes = [];
  });

  it('answers many concurrent creates with few statements, each caller its own row', async () => {
    const insert = batchedInsert(counted);
    const bars = Array.from({ length: 40 }, (_, i) => bar(`B${i % 8}`, `2024-01-${String(1 + Math.floor(i / 8)).padStart(2, '0')}`, `10.${i}`));
    const written = await Promise.all(bars.map((b) => insert(b)));
    written.forEach((w, i) => {
      expect(w).toMatchObject({ ticker: bars[i]!.ticker, date: bars[i]!.date });
      expect(JSON.parse(w!.json)).toMatchObject({ id: w!.id, close: Number(bars[i]!.close) });
    });
    expect(new Set(written.map((w) => w!.id)).size).toBe(40);
    expect(statements.length).toBeLessThan(10);
    expect(statements).toContain('market_data_insert_many');
  });

  it('lets the first of two equal creates in a batch win, and refuses a taken key', async () => {
    const insert = batchedInsert(counted);
    await insert(bar('TAKEN', '2024-01-02'));
    const results = await Promise.all([
      insert(bar('X', '2024-01-02')), insert(bar('DUP', '2024-01-03', '10.1')), insert(bar('DUP', '2024-01-03', '10.2')),
      insert(bar('TAKEN', '2024-01-02')), insert(bar('Y', '2024-01-02')),
    ]);
    expect(results.map((r) => r !== undefined)).toEqual([true, true, false, false, true]);
    const { rows } = await t.db.query<{ close: string }>(`SELECT close FROM market_data WHERE ticker = 'DUP'`);
    expect(rows).toEqual([{ close: '10.100000' }]);
  });

  it('fails a row the database refuses on its own', async () => {
    const insert = batchedInsert(counted);
    const outcomes = await Promise.allSettled([
      insert(bar('OK1', '2024-01-02')), insert({ ...bar('BAD', '2024-01-02'), high: '1' }), insert(bar('OK2', '2024-01-02')),
      insert(bar('OK3', '2024-01-02')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: '23514' });
    const { rows } = await t.db.query<{ ticker: string }>('SELECT ticker FROM market_data ORDER BY ticker');
    expect(rows.map((r) => r.ticker)).toEqual(['OK1', 'OK2', 'OK3']);
  });

  it('reads concurrent ids with few statements; absent ids are undefined', async () => {
    const insert = batchedInsert(t.db);
    const made = await Promise.all(Array.from({ length: 30 }, (_, i) => insert(bar('R', `2024-03-${String(i + 1).padStart(2, '0')}`))));
    const get = batchedGet(counted);
    const ids = [...made.map((m) => m!.id), 999_999_999, made[3]!.id];
    const answers = await Promise.all(ids.map((id) => get(id)));
    answers.forEach((a, i) => {
      if (ids[i] === 999_999_999) expect(a).toBeUndefined();
      else expect(JSON.parse(a!)).toMatchObject({ id: ids[i], ticker: 'R' });
    });
    expect(statements.length).toBeLessThan(8);
    expect(statements).toContain('market_data_get_many');
  });

  it('answers concurrent listings of every variant exactly as one at a time would', async () => {
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT 'L' || n, date '2024-01-01' + d, 10 + d, 11 + d, 9 + d, 10.5 + d, n * 1000 + d FROM generate_series(1, 6) n, generate_series(0, 59) d`);
    const asks: [ListFilter, ListPage][] = [];
    for (let n = 1; n <= 6; n++) {
      asks.push([{ tickers: [`L${n}`], startDate: '2024-01-10', endDate: '2024-02-10', order: 'desc' }, { size: 7 }]);
      asks.push([{ tickers: [`L${n}`], startDate: '2024-01-10', endDate: '2024-02-10', order: 'desc' }, { size: 7, offset: 7 * n }]);
      asks.push([{ tickers: [`L${n}`], order: 'asc' }, { size: 5, after: { date: `2024-01-${String(10 + n).padStart(2, '0')}`, ticker: `L${n}` } }]);
      asks.push([{ startDate: '2024-02-01', order: 'desc' }, { size: 4 + n }]);
      asks.push([{ tickers: [`L${n}`], endDate: '2023-01-01', order: 'desc' }, { size: 10 }]); // nothing there
    }
    asks.push([{ tickers: ['L1', 'L2'], order: 'desc' }, { size: 10 }]); // several tickers: alone
    const list = batchedList(counted);
    const together = await Promise.all(asks.map(([f, p]) => list(f, p)));
    const batched = statements.filter((n) => n.endsWith('_batch')).length;
    statements = [];
    for (const [i, [f, p]] of asks.entries()) expect(together[i], JSON.stringify([f, p])).toEqual(await listMarketData(t.db, f, p));
    expect(batched).toBeGreaterThan(0);
    expect(together.filter((r) => r.count === 0)).toHaveLength(8); // the 6 empty ranges, and 2 offsets past the end
  });

  it('spreads concurrent listings over statements of at most maxBatch, each still exact', async () => {
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT 'M' || n, date '2024-01-01' + d, 10, 11, 9, 10.5, d FROM generate_series(1, 30) n, generate_series(0, 9) d`);
    const serverBatching = profileOf({ kind: 'postgres' } as Database).listBatching;
    const { maxBatch } = serverBatching;
    const list = batchedList(counted, serverBatching);
    const asks = Array.from({ length: 30 }, (_, i): [ListFilter, ListPage] => [{ tickers: [`M${i + 1}`], startDate: '2024-01-03', order: 'desc' }, { size: 5 }]);
    const together = await Promise.all(asks.map(([f, p]) => list(f, p)));
    // No statement over maxBatch, at least one full: 30 listings in ≥ 4 statements.
    expect(Math.max(...listBatchSizes)).toBe(maxBatch);
    expect(statements.length).toBeGreaterThanOrEqual(Math.ceil(30 / maxBatch!));
    for (const [i, [f, p]] of asks.entries()) expect(together[i]).toEqual(await listMarketData(t.db, f, p));
    expect(together.every((r) => r.total === 8 && r.count === 5)).toBe(true);
  });

  it('sends a lone request at once, in a statement of its own', async () => {
    const get = batchedGet(counted);
    expect(await get(123)).toBeUndefined();
    expect(statements).toEqual(['market_data_get']);
  });
});
