// docs/analysis.md's DuckDB line, as written there, run by DuckDB (@duckdb/node-api) on the
// Parquet export downloaded from the URL it names: the rows equal the JSON listing's. (The URL
// itself would need DuckDB's httpfs extension, which is downloaded on first use: not offline.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse as losslessParse } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../helpers/app.ts';
import { DATABASE_KINDS } from '../../helpers/databases.ts';

const DOC = fs.readFileSync(new URL('../../../docs/analysis.md', import.meta.url), 'utf8');

describe.each(DATABASE_KINDS)('docs/analysis.md on %s', (kind) => {
  const ctx = useTestApp(kind, {
    seed: (db) => db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT tk, date '2020-01-01' + d, 100 + d / 8.0, 101.123456 + d, 99.5, 100.25 + d / 1000.0, 3000000000 + d
      FROM unnest(ARRAY['AAPL', 'MSFT', 'IBM']) AS tk, generate_series(0, 99) AS d`),
  });
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-analysis-')); });
  afterAll(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('the DuckDB line reads the export as DATE, DECIMAL(18,6) and BIGINT, equal to the listing', async () => {
    const m = /duckdb\.sql\("(.+?)"\)/.exec(DOC);
    expect(m).not.toBeNull();
    const sql = m![1]!;
    const url = /read_parquet\('([^']+)'\)/.exec(sql)![1]!;
    const { pathname, search } = new URL(url);
    const res = await ctx.app.inject(`${pathname}${search}`);
    expect(res.statusCode).toBe(200);
    const file = path.join(dir, `${kind}.parquet`);
    fs.writeFileSync(file, res.rawPayload);

    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const reader = await duck.runAndReadAll(sql.replace(url, file));
      expect(reader.columnNames()).toEqual(['ticker', 'date', 'close', 'volume']);
      expect(reader.columnTypes().map(String)).toEqual(['VARCHAR', 'DATE', 'DECIMAL(18,6)', 'BIGINT']);
      // DECIMAL and DATE values print exactly (150.100000, 2020-01-01); the listing drops trailing zeros.
      const trim = (text: string) => (text.includes('.') ? text.replace(/\.?0+$/, '') : text);
      const rows = reader.getRows().map(([ticker, date, close, volume]) => [ticker, String(date), trim(String(close)), volume]);
      const listing = await ctx.app.inject(`/api/v1/market-data?${search.slice(1).replace('format=parquet&', '')}&order=asc&size=1000`);
      const items = (losslessParse(listing.body, undefined, (v: string) => v) as { items: { ticker: string; date: string; close: string; volume: string }[] }).items;
      const expected = items.map((i) => [i.ticker, i.date, i.close, BigInt(i.volume)])
        .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[1]! < b[1]! ? -1 : 1));
      expect(expected).toHaveLength(200);
      expect(rows).toEqual(expected);
    } finally {
      duck.closeSync();
    }
  });
});
