// GET /api/v1/market-data: filters, order, page sizes, exact totals and keyset cursors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

type Item = { id: number; ticker: string; date: string };

const TICKERS = ['AAPL', 'BRK.B', 'MSFT'];
const DAYS = 40; // 2024-01-01 .. 2024-02-09, every ticker every day: 120 rows

describe.each(DATABASE_KINDS)('market data listing on %s', (kind) => {
  let t: TestDatabase;
  let app: Awaited<ReturnType<typeof testApp>>;
  let small: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT tk, date '2024-01-01' + d, 10 + d, 11 + d, 9 + d, 10.5 + d, 1000 * d
      FROM unnest($1::text[]) AS tk, generate_series(0, ${DAYS - 1}) AS d`, [TICKERS]);
    app = await testApp(t.db);
    small = await testApp(t.db, { DEFAULT_PAGE_SIZE: '7', MAX_PAGE_SIZE: '20' });
  });
  afterAll(async () => {
    await app?.close();
    await small?.close();
    await t?.drop();
  });

  const list = async (query: string, which = app) => {
    const res = await which.inject(`/api/v1/market-data?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: Item[]; total: number; page: number; size: number; pages: number; next_cursor: string | null };
  };
  /** Every row in the expected order, from SQL. */
  const expected = async (where = 'true', order = 'date DESC, ticker ASC', params: unknown[] = []) =>
    (await t.db.query<Item>(`SELECT id, ticker, date FROM market_data WHERE ${where} ORDER BY ${order}`, params)).rows;
  const keys = (items: Item[]) => items.map((i) => `${i.date}/${i.ticker}`);

  it('lists newest first, then by ticker, with an exact total and the page count', async () => {
    const body = await list('');
    expect(body).toMatchObject({ total: 120, page: 1, size: 50, pages: 3 });
    expect(keys(body.items)).toEqual(keys((await expected()).slice(0, 50)));
    expect(body.items[0]).toMatchObject({ ticker: 'AAPL', date: '2024-02-09' });
    expect(body.next_cursor).toEqual(expect.any(String));
  });

  it('lists oldest first with order=asc', async () => {
    const body = await list('order=asc&size=10');
    expect(keys(body.items)).toEqual(keys((await expected('true', 'date ASC, ticker ASC')).slice(0, 10)));
  });

  it('returns later pages by offset', async () => {
    const body = await list('page=3&size=50');
    expect(body).toMatchObject({ total: 120, page: 3, pages: 3, next_cursor: null });
    expect(keys(body.items)).toEqual(keys((await expected()).slice(100)));
  });

  it('returns an empty page past the end', async () => {
    expect(await list('page=99')).toMatchObject({ items: [], total: 120, page: 99, next_cursor: null });
  });

  it.each([
    ['ticker=msft', ['MSFT']],
    ['ticker=MSFT&ticker=aapl', ['AAPL', 'MSFT']],
    ['ticker=msft,brk.b', ['BRK.B', 'MSFT']],
    ['ticker=MSFT,%20AAPL&ticker=msft', ['AAPL', 'MSFT']],
    ['ticker=NOPE', []],
  ])('filters by ticker: %s', async (query, tickers) => {
    const body = await list(`${query}&size=1000`);
    expect(body.total).toBe(tickers.length * DAYS);
    expect(keys(body.items)).toEqual(keys(await expected('ticker = ANY($1)', undefined, [tickers])));
  });

  it.each([
    ['start_date=2024-02-01', "date >= '2024-02-01'"],
    ['end_date=2024-01-03', "date <= '2024-01-03'"],
    ['start_date=2024-01-10&end_date=2024-01-10', "date = '2024-01-10'"],
    ['start_date=2024-01-05&end_date=2024-01-20&ticker=AAPL', "date BETWEEN '2024-01-05' AND '2024-01-20' AND ticker = 'AAPL'"],
    ['start_date=2030-01-01', 'false'],
  ])('filters by date, inclusive: %s', async (query, where) => {
    const body = await list(`${query}&size=1000`);
    const rows = await expected(where);
    expect(body.total).toBe(rows.length);
    expect(keys(body.items)).toEqual(keys(rows));
  });

  it('walks every page by cursor, in order, with nothing skipped or repeated', async () => {
    for (const [order, sql] of [['desc', 'date DESC, ticker ASC'], ['asc', 'date ASC, ticker ASC']] as const) {
      const seen: Item[] = [];
      let body = await list(`order=${order}&size=7&ticker=AAPL,MSFT&start_date=2024-01-03`);
      const pages = body.pages;
      for (let page = 1; ; page++) {
        expect(body.page).toBe(page);
        expect(body.total).toBe(2 * (DAYS - 2));
        seen.push(...body.items);
        if (!body.next_cursor) break;
        body = await list(`order=${order}&size=7&ticker=AAPL,MSFT&start_date=2024-01-03&cursor=${body.next_cursor}`);
      }
      expect(seen.length).toBe(2 * (DAYS - 2));
      expect(body.page).toBe(pages);
      expect(keys(seen)).toEqual(keys(await expected("ticker IN ('AAPL','MSFT') AND date >= '2024-01-03'", sql)));
    }
  });

  it('gives the same page by cursor as by number', async () => {
    const p1 = await list('size=13');
    const p2 = await list(`size=13&cursor=${p1.next_cursor}`);
    expect(p2).toEqual({ ...(await list('size=13&page=2')), next_cursor: p2.next_cursor });
  });

  it('uses DEFAULT_PAGE_SIZE and enforces MAX_PAGE_SIZE', async () => {
    expect((await list('', small)).size).toBe(7);
    expect((await list('size=20', small)).items).toHaveLength(20);
    const res = await small.inject('/api/v1/market-data?size=21');
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([{ field: 'size', message: 'must be <= 20' }]);
    expect((await list('size=1000')).items).toHaveLength(120);
  });

  it.each([
    ['size=0', 'size'],
    ['size=1001', 'size'],
    ['size=abc', 'size'],
    ['page=0', 'page'],
    ['start_date=0000-01-01', 'start_date'], // passes the date format, not PostgreSQL
    ['end_date=0000-12-31', 'end_date'],
    ['page=-1', 'page'],
    ['page=1.5', 'page'],
    ['order=sideways', 'order'],
    ['start_date=2024-02-30', 'start_date'],
    ['end_date=yesterday', 'end_date'],
    ['start_date=2024-02-01&end_date=2024-01-01', 'start_date'],
    ['ticker=NOT%20A%20TICKER', 'ticker'],
    [`ticker=${'A'.repeat(10_000)}`, 'ticker'],
    ['cursor=garbage', 'cursor'],
    // A well-formed cursor naming a day that does not exist: the database would refuse the date.
    [`cursor=${Buffer.from(JSON.stringify(['2024-02-30', 'AAPL', 'desc', 2])).toString('base64url')}`, 'cursor'],
  ])('answers 422 for %s, naming %s', async (query, field) => {
    const res = await app.inject(`/api/v1/market-data?${query}`);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('refuses a cursor made for the other order', async () => {
    const { next_cursor } = await list('order=asc&size=5');
    const res = await app.inject(`/api/v1/market-data?order=desc&cursor=${next_cursor}`);
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([{ field: 'cursor', message: 'was made for order=asc; pass the same order' }]);
  });

  it('keeps the total exact as rows come and go', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/market-data', payload: { ticker: 'ZZ', date: '2023-06-01', open: 1, high: 1, low: 1, close: 1, volume: 1 } });
    expect((await list('')).total).toBe(121);
    expect((await list('start_date=2023-06-01&end_date=2023-06-01')).total).toBe(1);
    await app.inject({ method: 'DELETE', url: `/api/v1/market-data/${created.json().id}` });
    expect((await list('')).total).toBe(120);
  });
});
