// GET /api/v1/market-data/export?format=parquet|arrow|ndjson and layout=wide: each file read back
// by its own reader (DuckDB for Parquet, apache-arrow, a JSON parser) equals the JSON listing
// exactly — every price the same decimal, dates as dates, volumes above 2^31 intact.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tableFromIPC, util } from 'apache-arrow';
import { parse as losslessParse } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetLong } from '../../../src/http/routes/export-formats.ts';
import { exportBatches } from '../../../src/db/repositories/market-data-export.ts';
import { listAllMarketData, testApp } from '../../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

/** A listing item with every number kept as its exact text. */
type Item = { ticker: string; date: string; open: string; high: string; low: string; close: string; volume: string };
type Row = [date: string, ticker: string, open: string, high: string, low: string, close: string, volume: string];

const TICKERS = ['AAPL', 'BRK.B', 'MSFT'];
const DAYS = 1500;
const keepText = (text: string) => text;
const asRow = (i: Item): Row => [i.date, i.ticker, i.open, i.high, i.low, i.close, i.volume];
/** DuckDB's DECIMAL text (10.500000) as the listing prints it (10.5). */
const trimmed = (sql: string) => `CASE WHEN ${sql}::VARCHAR LIKE '%.%' THEN rtrim(rtrim(${sql}::VARCHAR, '0'), '.') ELSE ${sql}::VARCHAR END`;
const fromUnscaled = (v: bigint, scale = 6): string => {
  const digits = (v < 0n ? -v : v).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`.replace(/\.?0+$/, '');
  return v < 0n ? `-${text}` : text;
};

describe.each(DATABASE_KINDS)('typed exports on %s', (kind) => {
  let t: TestDatabase;
  let app: Awaited<ReturnType<typeof testApp>>;
  let duck: DuckDBConnection;
  let dir: string;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT tk, date '2015-01-01' + d, 10 + d / 1000.0, 11.123456 + d / 1000.0, 9.5 + d / 1000.0, 10.5 + d / 1000.0 + (d % 7) / 100.0, 1000 * d
      FROM unnest($1::text[]) AS tk, generate_series(0, ${DAYS - 1}) AS d
      WHERE NOT (tk = 'MSFT' AND d % 10 = 3)`, [TICKERS]); // MSFT misses some days: nulls in the wide layout
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume) VALUES
      ('XTRM', '2016-06-01', 0.000001, 999999999.999999, 0.000001, 999999999.999999, 9007199254740991),
      ('XTRM', '2016-06-02', 1.5, 2, 1, 1.25, 3000000000)`);
    app = await testApp(t.db, { MAX_PAGE_SIZE: '1000' });
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-export-'));
  }, 60_000);
  afterAll(async () => {
    duck?.closeSync();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await app?.close();
    await t?.drop();
  });

  const listAll = async (query: string): Promise<Row[]> =>
    (await listAllMarketData<Item>(app, query, (body) => losslessParse(body, undefined, keepText))).map(asRow);
  const FORMATS: Record<string, string> = {
    'application/vnd.apache.parquet': 'parquet', 'application/vnd.apache.arrow.stream': 'arrow', 'application/x-ndjson; charset=utf-8': 'ndjson',
  };
  async function download(query: string, contentType: string): Promise<Buffer> {
    const res = await app.inject(`/api/v1/market-data/export?format=${FORMATS[contentType] ?? 'csv'}&${query}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe(contentType);
    return res.rawPayload;
  }
  async function duckRows(sql: string): Promise<unknown[][]> {
    return (await duck.runAndReadAll(sql)).getRows();
  }
  function saved(name: string, bytes: Buffer | Uint8Array): string {
    const file = path.join(dir, `${kind}-${name}`);
    fs.writeFileSync(file, bytes);
    return file;
  }
  const readParquet = (file: string, order = 'date DESC, ticker') => duckRows(`SELECT date::VARCHAR, ticker, ${['open', 'high', 'low', 'close'].map(trimmed).join(', ')}, volume::VARCHAR
    FROM read_parquet('${file}') ORDER BY ${order}`);

  it('Parquet read back by DuckDB equals the JSON listing: DECIMAL(18,6), DATE, INT64', async () => {
    for (const query of ['', 'order=asc&ticker=XTRM,AAPL&start_date=2016-01-01', 'adjustment=split&order=asc', 'interval=1mo']) {
      const file = saved('long.parquet', await download(query, 'application/vnd.apache.parquet'));
      const types = await duckRows(`SELECT name, type, converted_type, precision, scale FROM parquet_schema('${file}') WHERE name NOT IN ('duckdb_schema', 'root') ORDER BY name`);
      const decimal = (name: string) => [name, 'INT64', 'DECIMAL', 18n, 6n];
      expect(types).toEqual([
        decimal('close'), ['date', 'INT32', 'DATE', null, null], decimal('high'), decimal('low'), decimal('open'),
        ['ticker', 'BYTE_ARRAY', 'UTF8', null, null], ['volume', 'INT64', null, null, null],
      ]);
      const described = await duckRows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${file}'))`);
      expect(Object.fromEntries(described.map((r) => [r[0], r[1]]))).toEqual({
        date: 'DATE', ticker: 'VARCHAR', open: 'DECIMAL(18,6)', high: 'DECIMAL(18,6)', low: 'DECIMAL(18,6)', close: 'DECIMAL(18,6)', volume: 'BIGINT',
      });
      const order = query.includes('order=asc') ? 'date, ticker' : 'date DESC, ticker';
      const fromFile = await readParquet(file, order);
      const listed = await listAll(query);
      expect(fromFile.length).toBe(listed.length);
      expect(fromFile).toEqual(listed);
    }
    const file = saved('xtrm.parquet', await download('ticker=XTRM&order=asc', 'application/vnd.apache.parquet'));
    expect(await duckRows(`SELECT date, volume, high::VARCHAR, low::VARCHAR FROM read_parquet('${file}')`)).toEqual([
      [expect.objectContaining({ days: 16953 }), 9007199254740991n, '999999999.999999', '0.000001'],
      [expect.objectContaining({ days: 16954 }), 3000000000n, '2.000000', '1.000000'],
    ]);
  }, 120_000);

  it('writes one row group per 1,000 rows when asked, each read back in order', async () => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of parquetLong(exportBatches(t.db, { order: 'asc' }, 700), 1000)) chunks.push(chunk);
    const file = saved('groups.parquet', Buffer.concat(chunks));
    const groups = await duckRows(`SELECT count(DISTINCT row_group_id)::INT, sum(row_group_num_rows)::INT / 7 FROM parquet_metadata('${file}')`);
    expect(groups).toEqual([[5, 4352]]);
    expect(await readParquet(file, 'date, ticker')).toEqual(await listAll('order=asc'));
  }, 60_000);

  it('Arrow IPC stream read back by apache-arrow equals the JSON listing', async () => {
    for (const query of ['', 'ticker=XTRM']) {
      const table = tableFromIPC(await download(query, 'application/vnd.apache.arrow.stream'));
      expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
        'date:Date32<DAY>', 'ticker:Utf8', 'open:Decimal[18e+6]', 'high:Decimal[18e+6]', 'low:Decimal[18e+6]', 'close:Decimal[18e+6]' /* precision 18, scale 6 */, 'volume:Int64',
      ]);
      const rows: Row[] = [];
      const cols = table.schema.fields.map((f) => table.getChild(f.name)!);
      for (let i = 0; i < table.numRows; i++) {
        const [date, ticker, ...rest] = cols.map((c) => c.get(i));
        const prices = rest.slice(0, 4).map((v) => fromUnscaled(util.bigNumToBigInt(v)));
        rows.push([new Date(date as number).toISOString().slice(0, 10), ticker as string, ...prices, String(rest[4] as bigint)] as Row);
      }
      expect(rows).toEqual(await listAll(query));
    }
  }, 60_000);

  it('NDJSON parses, line by line, to the listing\'s exact numbers', async () => {
    const body = (await download('adjustment=total&order=asc', 'application/x-ndjson; charset=utf-8')).toString('utf8');
    expect(body.endsWith('\n')).toBe(true);
    const rows = body.slice(0, -1).split('\n').map((line) => asRow(losslessParse(line, undefined, keepText) as Item));
    expect(rows).toEqual(await listAll('adjustment=total&order=asc'));
    expect(JSON.parse(body.split('\n')[0]!)).toMatchObject({ date: '2015-01-01', ticker: 'AAPL', open: 10 });
  }, 60_000);

  it('wide layout: one row per date, one column per ticker, nulls where a ticker has no bar (CSV and Parquet)', async () => {
    const listed = await listAll('order=asc');
    const dates = [...new Set(listed.map((r) => r[0]))].sort();
    const close = new Map(listed.map((r) => [`${r[0]} ${r[1]}`, r[5]]));
    const tickers = [...TICKERS, 'XTRM'];
    const expected = dates.map((d) => [d, ...tickers.map((tk) => close.get(`${d} ${tk}`) ?? null)]);

    const csv = (await download('layout=wide&field=close&order=asc', 'text/csv; charset=utf-8; header=present')).toString('utf8');
    const lines = csv.slice(0, -2).split('\r\n');
    expect(lines[0]).toBe(`date,${tickers.join(',')}`);
    expect(lines.slice(1).map((l) => l.split(',').map((v, i) => (i > 0 && v === '' ? null : v)))).toEqual(expected);
    expect(lines.filter((l) => l.includes(',,')).length).toBeGreaterThan(100); // MSFT's missing days

    const file = saved('wide.parquet', await download('layout=wide&field=close&order=asc', 'application/vnd.apache.parquet'));
    const fromFile = await duckRows(`SELECT date::VARCHAR, ${tickers.map((tk) => trimmed(`"${tk}"`)).join(', ')} FROM read_parquet('${file}') ORDER BY date`);
    expect(fromFile).toEqual(expected);

    const volumes = saved('wide-vol.parquet', await download('layout=wide&field=volume&ticker=XTRM,AAPL&start_date=2016-06-01&end_date=2016-06-03', 'application/vnd.apache.parquet'));
    expect(await duckRows(`SELECT date::VARCHAR, AAPL, XTRM FROM read_parquet('${volumes}') ORDER BY date`)).toEqual([
      ['2016-06-01', 517000n, 9007199254740991n], ['2016-06-02', 518000n, 3000000000n], ['2016-06-03', 519000n, null],
    ]);

    const res = await app.inject('/api/v1/market-data/export?layout=wide&format=arrow');
    expect(res.statusCode).toBe(422);
  }, 60_000);
});
