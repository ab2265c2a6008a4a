// A bulk import of files (etl/bulk-import.ts): a long CSV of 100,000 rows with 3 bad ones imports
// the rest and lists the 3 with their reasons; importing it again changes nothing (updated_at
// unchanged); Parquet (as the export writes it) and one-ticker CSVs in a directory import the
// same way; a dry run writes nothing; a ticker the database refuses fails alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetLong } from '../../src/http/routes/export-formats.ts';
import { exportBatches } from '../../src/db/repositories/market-data-export.ts';
import { bulkImport, type ImportResult } from '../../src/etl/bulk-import.ts';
import { importFiles } from '../../src/sources/csv/files.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../helpers/databases.ts';

const TICKERS = 100;
const DAYS = 1000;
const NOW = new Date('2025-01-01T00:00:00Z');

function day(d: number): string {
  return new Date(Date.UTC(2018, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
}

/** 100,000 rows in date order across tickers (not grouped by ticker), three of them bad. */
function writeLongCsv(file: string): void {
  const lines = ['date,ticker,open,high,low,close,volume'];
  for (let d = 0; d < DAYS; d++) {
    for (let t = 0; t < TICKERS; t++) {
      const p = (10 + t + d / 100).toFixed(2);
      lines.push(`${day(d)},T${String(t).padStart(3, '0')},${p},${(Number(p) + 1).toFixed(4)},${(Number(p) - 1).toFixed(6)},${p},${3_000_000_000 + d}`);
    }
  }
  lines[1 + 10 * TICKERS + 5] = `2020-02-30,T005,1,2,0.5,1,100`; // line 1007
  lines[1 + 20 * TICKERS + 6] = `${day(20)},T006,12,11,13,12,100`; // line 2008
  lines[1 + 30 * TICKERS + 7] = `${day(30)},T007,abc,2,1,1.5,100`; // line 3009
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

describe.each(DATABASE_KINDS)('bulk import on %s', { timeout: 300_000 }, (kind) => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-import-'));
  });
  afterAll(async () => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await t?.drop();
  });

  const run = (files: string[], options: { ticker?: string; dryRun?: boolean } = {}): Promise<ImportResult> =>
    bulkImport(t.db, files, files.map((f) => fs.statSync(f).size), { now: NOW, ...options });
  const snapshot = async () => (await t.db.query<{ n: number; last: string; sum: string }>(
    `SELECT count(*)::int AS n, max(updated_at)::text AS last, sum(close)::text AS sum FROM market_data`)).rows[0]!;
  const total = (r: ImportResult, k: 'inserted' | 'updated' | 'unchanged') => r.tickers.reduce((a, x) => a + x[k], 0);

  it('imports 100,000 rows but 3 bad ones, lists the 3 with reasons; again, changes nothing', async () => {
    const file = path.join(dir, 'long.csv');
    writeLongCsv(file);

    const dry = await run([file], { dryRun: true });
    expect(dry.rejected).toBe(3);
    expect(total(dry, 'inserted')).toBe(TICKERS * DAYS - 3);
    expect((await snapshot()).n).toBe(0);

    const first = await run([file]);
    expect(first.read).toBe(TICKERS * DAYS);
    expect(first.rejected).toBe(3);
    expect(first.rejections.map(({ line, ticker, date, reason }) => ({ line, ticker, date, reason }))).toEqual([
      { line: 1007, ticker: 'T005', date: '2020-02-30', reason: 'date must be a real calendar date' },
      { line: 2008, ticker: 'T006', date: day(20), reason: expect.stringMatching(/high must not be below/) },
      { line: 3009, ticker: 'T007', date: day(30), reason: 'open is not a number' },
    ]);
    expect(first.tickers).toHaveLength(TICKERS);
    expect(first.tickers.filter((x) => x.error)).toEqual([]);
    expect(total(first, 'inserted')).toBe(TICKERS * DAYS - 3);
    const after = await snapshot();
    expect(after.n).toBe(TICKERS * DAYS - 3);
    const big = await t.db.query<{ volume: number }>(`SELECT volume FROM market_data WHERE ticker = 'T001' AND date = $1`, [day(999)]);
    expect(big.rows[0]!.volume).toBe(3_000_000_999);

    await new Promise((r) => setTimeout(r, 20)); // a changed row would get a later updated_at
    const second = await run([file]);
    expect(second.rejected).toBe(3);
    expect(total(second, 'inserted') + total(second, 'updated')).toBe(0);
    expect(total(second, 'unchanged')).toBe(TICKERS * DAYS - 3);
    expect(await snapshot()).toEqual(after);
  });

  it('imports Parquet as the export writes it, decimals exact, and one-ticker CSVs from a directory', async () => {
    await t.db.exec('TRUNCATE market_data');
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume) VALUES
      ('PQ', '2020-01-02', 0.000001, 999999999.999999, 0.000001, 123.456789, 9007199254740991),
      ('PQ', '2020-01-03', 1.5, 2, 1, 1.25, 3000000000)`);
    const parquet = path.join(dir, 'sub', 'pq.parquet');
    fs.mkdirSync(path.dirname(parquet));
    const chunks: Uint8Array[] = [];
    for await (const c of parquetLong(exportBatches(t.db, { order: 'asc' }, 1000))) chunks.push(c);
    fs.writeFileSync(parquet, Buffer.concat(chunks));
    fs.writeFileSync(path.join(dir, 'sub', 'aapl.csv'), 'timestamp,open,high,low,close,volume\n2020-01-03,10.5,11,10,10.75,1000\n2020-01-02,10,11,9,10.5,900\n');
    await t.db.exec('TRUNCATE market_data');

    const result = await run(importFiles(path.join(dir, 'sub')), { ticker: 'AAPL' });
    expect(result.rejected).toBe(0);
    expect(result.tickers.map((x) => [x.ticker, x.inserted])).toEqual([['AAPL', 2], ['PQ', 2]]);
    const { rows } = await t.db.query<{ ticker: string; date: string; open: string; high: string; close: string; volume: number }>(
      'SELECT ticker, date, open::text, high::text, close::text, volume FROM market_data ORDER BY ticker, date');
    expect(rows).toEqual([
      { ticker: 'AAPL', date: '2020-01-02', open: '10.000000', high: '11.000000', close: '10.500000', volume: 900 },
      { ticker: 'AAPL', date: '2020-01-03', open: '10.500000', high: '11.000000', close: '10.750000', volume: 1000 },
      { ticker: 'PQ', date: '2020-01-02', open: '0.000001', high: '999999999.999999', close: '123.456789', volume: 9007199254740991 },
      { ticker: 'PQ', date: '2020-01-03', open: '1.500000', high: '2.000000', close: '1.250000', volume: 3000000000 },
    ]);
  });

  it('a ticker the database refuses fails whole and alone; the others merged with it load', async () => {
    await t.db.exec('TRUNCATE market_data');
    await t.db.exec(`CREATE FUNCTION refuse_zz() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM new_rows WHERE ticker = 'ZZ') THEN RAISE EXCEPTION 'ZZ refused'; END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER refuse_zz AFTER INSERT ON market_data REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION refuse_zz()`);
    try {
      const file = path.join(dir, 'refused.csv');
      const lines = ['ticker,date,open,high,low,close,volume'];
      for (const d of [0, 1, 2]) for (const ticker of ['AA', 'ZZ', 'BB']) lines.push(`${ticker},${day(d)},1,2,1,1.5,10`);
      fs.writeFileSync(file, `${lines.join('\n')}\n`);
      const result = await run([file]);
      expect(result.tickers.map((x) => [x.ticker, x.inserted, x.error ?? null])).toEqual([
        ['AA', 3, null], ['BB', 3, null], ['ZZ', 0, expect.stringMatching(/ZZ refused/)],
      ]);
      const { rows } = await t.db.query<{ ticker: string; n: number }>('SELECT ticker, count(*)::int AS n FROM market_data GROUP BY ticker ORDER BY ticker');
      expect(rows).toEqual([{ ticker: 'AA', n: 3 }, { ticker: 'BB', n: 3 }]);
    } finally {
      await t.db.exec('DROP TRIGGER refuse_zz ON market_data; DROP FUNCTION refuse_zz()');
    }
  });

  it('rejects both copies of a (ticker, date) given twice, and a bad ticker', async () => {
    await t.db.exec('TRUNCATE market_data');
    const file = path.join(dir, 'dups.csv');
    fs.writeFileSync(file, 'ticker,date,open,high,low,close,volume\nDD,2020-01-02,1,2,1,1.5,10\nDD,2020-01-02,1,2,1,1.6,10\nDD,2020-01-03,1,2,1,1.5,10\n-X,2020-01-03,1,2,1,1.5,10\n');
    const result = await run([file]);
    expect(result.rejections.map((r) => [r.line, r.reason]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [2, 'duplicate date'], [3, 'duplicate date'], [5, expect.stringMatching(/^ticker must be/)],
    ]);
    expect(result.tickers.map((x) => [x.ticker, x.inserted])).toEqual([['DD', 1]]);
  });
});
