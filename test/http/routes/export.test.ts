// GET /api/v1/market-data/export: the listing's rows as streamed CSV, batch by batch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER } from '../../../src/http/routes/export.ts';
import { profileOf } from '../../../src/db/driver/profile.ts';
import type { Queryable } from '../../../src/db/driver/database.ts';
import { exportBatches } from '../../../src/db/repositories/market-data-export.ts';
import { listAllMarketData, testApp } from '../../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

type Item = { id: number; ticker: string; date: string; open: number; high: number; low: number; close: number; volume: number };

const TICKERS = ['AAPL', 'BRK.B', 'MSFT'];
const DAYS = 2100; // 6,300 rows: several batches on either database (1,000 on PGlite, 5,000 on a server)

describe.each(DATABASE_KINDS)('market data export on %s', (kind) => {
  let t: TestDatabase;
  let app: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    // Prices with 0 to 6 decimal places, so trailing zeros and exactness both show.
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT tk, date '2015-01-01' + d, 10 + d / 1000.0, 11.123456 + d / 1000.0, 9.5 + d / 1000.0, 10.5 + d / 1000.0 + (d % 7) / 100.0, 1000 * d
      FROM unnest($1::text[]) AS tk, generate_series(0, ${DAYS - 1}) AS d`, [TICKERS]);
    // The extremes a bar may hold: the largest price and volume, the smallest price.
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      VALUES ('XTRM', '2020-06-01', 0.000001, 999999999.999999, 0.000001, 999999999.999999, 9007199254740991)`);
    app = await testApp(t.db, { MAX_PAGE_SIZE: '1000' });
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  const listAll = (query: string) => listAllMarketData<Item>(app, query);
  const asLine = (i: Item) => [i.date, i.ticker, i.open, i.high, i.low, i.close, i.volume].map(String).join(',');

  async function exportLines(query: string): Promise<{ lines: string[]; headers: Record<string, unknown> }> {
    const res = await app.inject(`/api/v1/market-data/export?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body.endsWith('\r\n')).toBe(true);
    const lines = res.body.slice(0, -2).split('\r\n');
    expect(lines[0]).toBe(CSV_HEADER);
    return { lines: lines.slice(1), headers: res.headers };
  }

  it('streams every row, over several batches, exactly as the list API pages them', async () => {
    const { lines, headers } = await exportLines('');
    expect(headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(headers['content-disposition']).toBe('attachment; filename="market-data.csv"');
    expect(headers['transfer-encoding']).toBe('chunked'); // streamed, not buffered into one body
    const total = TICKERS.length * DAYS + 1;
    expect(total).toBeGreaterThan(profileOf(t.db).exportBatchSize);
    expect(lines).toHaveLength(total);
    expect(lines).toEqual((await listAll('')).map(asLine));
  });

  it('keeps every stored decimal exact, without trailing zeros', async () => {
    const { lines } = await exportLines('ticker=xtrm');
    expect(lines).toEqual(['2020-06-01,XTRM,0.000001,999999999.999999,0.000001,999999999.999999,9007199254740991']);
    const { rows } = await t.db.query<Record<string, string>>(
      `SELECT open::text, high::text, low::text, close::text FROM market_data WHERE ticker = 'AAPL' AND date = '2015-01-11'`);
    expect(rows[0]).toEqual({ open: '10.010000', high: '11.133456', low: '9.510000', close: '10.540000' });
    const line = (await exportLines('ticker=AAPL&start_date=2015-01-11&end_date=2015-01-11')).lines;
    expect(line).toEqual(['2015-01-11,AAPL,10.01,11.133456,9.51,10.54,10000']);
  });

  it('takes the listing\'s filters and order', async () => {
    const query = 'ticker=msft,aapl&start_date=2016-02-03&end_date=2019-07-04&order=asc';
    const { lines, headers } = await exportLines(query);
    expect(headers['content-disposition']).toBe('attachment; filename="market-data_AAPL_MSFT_from-2016-02-03_to-2019-07-04.csv"');
    const expected = await listAll(query);
    expect(expected.length).toBeGreaterThan(2000);
    expect(lines).toEqual(expected.map(asLine));
    expect(lines[0]).toMatch(/^2016-02-03,AAPL,/);
    expect((await exportLines('ticker=BRK.B&ticker=xtrm&order=desc')).lines).toEqual((await listAll('ticker=BRK.B&ticker=xtrm')).map(asLine));
  });

  it('names the file after at most five tickers, counting them beyond that', async () => {
    const many = Array.from({ length: 100 }, (_, i) => `T${String(i).padStart(2, '0')}${'X'.repeat(13)}`);
    const { headers } = await exportLines(`${many.map((t) => `ticker=${t}`).join('&')}&start_date=2016-02-03`);
    expect(headers['content-disposition']).toBe('attachment; filename="market-data_100-tickers_from-2016-02-03.csv"');
    expect((await exportLines(`ticker=${many.slice(0, 5).join(',')}`)).headers['content-disposition'])
      .toBe(`attachment; filename="market-data_${many.slice(0, 5).join('_')}.csv"`);
  });

  it('answers a header alone when nothing matches', async () => {
    expect((await exportLines('ticker=NONE')).lines).toEqual([]);
    expect((await exportLines('start_date=2030-01-01')).lines).toEqual([]);
  });

  it.each([
    ['start_date=2024-02-30', 'start_date'],
    ['start_date=0000-01-01', 'start_date'], // passes the date format, not PostgreSQL
    ['end_date=yesterday', 'end_date'],
    ['start_date=2020-01-02&end_date=2020-01-01', 'start_date'],
    ['ticker=not%20a%20ticker!', 'ticker'],
    ['order=sideways', 'order'],
  ])('refuses %s with a 422 problem naming %s', async (query, field) => {
    const res = await app.inject(`/api/v1/market-data/export?${query}`);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['content-disposition']).toBeUndefined();
    expect(res.json()).toMatchObject({ status: 422, title: 'Unprocessable Entity', errors: [expect.objectContaining({ field })] });
  });

  it('reads a batch only when the previous one has been consumed', async () => {
    let queries = 0;
    const counting: Queryable = {
      query: (text, params, options) => { queries++; return t.db.query(text, params, options); },
      exec: (script) => t.db.exec(script),
    };
    const batches = exportBatches(counting, { order: 'desc' }, 500);
    expect(queries).toBe(0);
    const first = await batches.next();
    expect(first.value).toHaveLength(500);
    expect(queries).toBe(1);
    await batches.next();
    expect(queries).toBe(2);
    await batches.return(undefined);
    expect(queries).toBe(2);
  });

  it('walks batch boundaries that fall between tickers of one day', async () => {
    // 7 does not divide 3 tickers a day: boundaries land mid-day, where the keyset's ticker part matters.
    const filter = { tickers: ['AAPL', 'BRK.B', 'MSFT'], startDate: '2019-01-01', endDate: '2019-02-15', order: 'asc' as const };
    const rows: string[] = [];
    for await (const batch of exportBatches(t.db, filter, 7)) {
      expect(batch.length).toBeLessThanOrEqual(7);
      rows.push(...batch.map((r) => `${r.date}/${r.ticker}`));
    }
    const { rows: expected } = await t.db.query<{ k: string }>(
      `SELECT date || '/' || ticker AS k FROM market_data WHERE date BETWEEN '2019-01-01' AND '2019-02-15' AND ticker <> 'XTRM' ORDER BY date, ticker`);
    expect(rows).toEqual(expected.map((r) => r.k));
  });
});
