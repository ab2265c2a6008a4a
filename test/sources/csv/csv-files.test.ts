// The plain CSV reader (sources/csv/files.ts) reads a quote-free file exactly as csv-parse with the
// import's options does; a file it cannot read that way is left to csv-parse.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPlainCsv, readCsvRows, readPlainCsvRows, type FileRow } from '../../../src/sources/csv/files.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-csv-files-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(text: string): string {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.csv`);
  fs.writeFileSync(file, text);
  return file;
}

async function all(rows: AsyncGenerator<FileRow[]>): Promise<FileRow[]> {
  const out: FileRow[] = [];
  for await (const batch of rows) out.push(...batch);
  return out;
}

describe('readPlainCsvRows', () => {
  it.each([
    ['a BOM, padded header and fields, blank lines, short and long records', '\uFEFFTicker , Date,open,high,low,close,volume\nA, 2020-01-02 ,1,2,1,1,5\n\n  \nB,x\nC,1,2,3,4,5,6,7,8\nD,\t2\t,3\f,,,,\n'],
    ['CRLF throughout, a column named twice, no break after the last line', 'ticker,date,open,high,low,close,volume,ticker\r\nA,1,2,3,4,5,6,B\r\n\r\nX,y\r\nlast,1'],
    ['symbol and timestamp', 'symbol,timestamp,open,high,low,close,volume\nA,2020-01-02,2,3,1,2,6\n'],
    ['no ticker column (the one given)', 'date,open,high,low,close,volume\n2020-01-01,1,2,3,4,5\n\n'],
    ['a header alone', 'ticker,date,open,high,low,close,volume\n'],
    ['more rows than a batch', `ticker,date,open,high,low,close,volume\n${'A,2020-01-02,1,2,1,1,5\n'.repeat(12_345)}`],
  ])('%s: as csv-parse reads it', async (_name, text) => {
    const file = write(text);
    expect(await isPlainCsv(file)).toBe(true);
    expect(await all(readPlainCsvRows(file, 'GIVEN'))).toEqual(await all(readCsvRows(file, 'GIVEN')));
  });

  it('refuses the header csv-parse refuses', async () => {
    const file = write('ticker,date,open\nA,2020-01-02,1\n');
    await expect(all(readPlainCsvRows(file, undefined))).rejects.toThrow(/lacks high, low, close, volume/);
    await expect(all(readCsvRows(file, undefined))).rejects.toThrow(/lacks high, low, close, volume/);
  });

  it.each([
    ['a quote', 'ticker,date,open,high,low,close,volume\n"A",2020-01-02,1,2,1,1,5\n'],
    ['a lone carriage return', 'ticker,date,open,high,low,close,volume\rA,2020-01-02,1,2,1,1,5\r'],
    ['CRLF and LF mixed', 'ticker,date,open,high,low,close,volume\r\nA,2020-01-02,1,2,1,1,5\n'],
  ])('leaves a file with %s to csv-parse', async (_name, text) => {
    expect(await isPlainCsv(write(text))).toBe(false);
  });
});
