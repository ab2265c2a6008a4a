// Exact decimal text → DECIMAL(18,6)'s unscaled integer, and dates → epoch days, for the typed exports;
// a Parquet file's DECIMAL columns (written as INT64, annotated in the footer) with exact statistics.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { epochDay, parquetLong, unscaled } from '../../../src/http/routes/export-formats.ts';
import type { ExportRow } from '../../../src/db/repositories/market-data-export.ts';

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

describe('parquetLong', () => {
  it('types the columns and states exact min/max per column, bigints beyond 2^53 included', async () => {
    const rows = [
      { date: '2020-01-02', ticker: 'A', open: '1.5', high: '3000.25', low: '0.000001', close: '2', volume: 5 },
      { date: '2020-01-03', ticker: 'B', open: '999999999999.999999', high: '999999999999.999999', low: '1', close: '2', volume: '9007202254740991' },
    ] as unknown as ExportRow[];
    async function* batches() { yield rows; }
    const chunks: Uint8Array[] = [];
    for await (const c of parquetLong(batches())) chunks.push(c);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'md-parquet-')), 'two.parquet');
    fs.writeFileSync(file, Buffer.concat(chunks));
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const types = (await duck.runAndReadAll(`DESCRIBE SELECT * FROM '${file}'`)).getRowObjectsJson().map((r) => `${r.column_name} ${r.column_type}`);
      expect(types).toEqual(['date DATE', 'ticker VARCHAR', 'open DECIMAL(18,6)', 'high DECIMAL(18,6)', 'low DECIMAL(18,6)', 'close DECIMAL(18,6)', 'volume BIGINT']);
      const stats = (await duck.runAndReadAll(`SELECT path_in_schema AS c, stats_min_value AS lo, stats_max_value AS hi FROM parquet_metadata('${file}')`)).getRowObjectsJson();
      expect(stats).toEqual([
        { c: 'date', lo: '2020-01-02', hi: '2020-01-03' }, { c: 'ticker', lo: 'A', hi: 'B' },
        { c: 'open', lo: '1.500000', hi: '999999999999.999999' }, { c: 'high', lo: '3000.250000', hi: '999999999999.999999' },
        { c: 'low', lo: '0.000001', hi: '1.000000' }, { c: 'close', lo: '2.000000', hi: '2.000000' },
        { c: 'volume', lo: '5', hi: '9007202254740991' },
      ]);
      const read = (await duck.runAndReadAll(`SELECT ticker, high::text AS high, volume::text AS volume FROM '${file}' WHERE high > 3000`)).getRowObjectsJson();
      expect(read).toEqual([{ ticker: 'A', high: '3000.250000', volume: '5' }, { ticker: 'B', high: '999999999999.999999', volume: '9007202254740991' }]);
    } finally {
      duck.closeSync();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
