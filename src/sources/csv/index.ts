// A CSV file of one ticker's daily bars (Alpha Vantage's `datatype=csv`, or history from
// elsewhere) as a source: the import goes through the same runner, rules, loader and run history
// as the ETL. A file costs no requests and needs no entitlement.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import type { FetchRequest, FetchResult, RawRow, Source } from '../source.ts';

export class CsvFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvFormatError';
  }
}

const REQUIRED = ['open', 'high', 'low', 'close', 'volume'] as const;

/**
 * Reads `timestamp|date,open,high,low,close,volume` (header names in any case and column order;
 * other columns such as `adjusted_close` are ignored; rows in either date order).
 */
async function readCsv(file: string): Promise<RawRow[]> {
  const parser = fs.createReadStream(file).pipe(parse({
    bom: true, trim: true, skip_empty_lines: true, relax_column_count: true,
    columns: (header: string[]) => header.map((h) => h.toLowerCase()),
  }));
  const rows: RawRow[] = [];
  let checked = false;
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    if (!checked) {
      const missing = [...REQUIRED, 'timestamp|date'].filter((c) => !c.split('|').some((name) => name in record));
      if (missing.length) throw new CsvFormatError(`${path.basename(file)}: the header lacks ${missing.join(', ')} (expected timestamp|date,open,high,low,close,volume)`);
      checked = true;
    }
    rows.push({
      date: record.timestamp ?? record.date ?? '', open: record.open, high: record.high, low: record.low,
      close: record.close, volume: record.volume,
    });
  }
  return rows;
}

export class CsvSource implements Source {
  readonly name: string;
  readonly account = 'file';
  readonly offers = [{ dataset: 'daily' as const, variants: [{ name: 'file', requests: 0, history: 'all' as const }] }];

  /** The rows are read before the run starts, so a malformed file fails before anything is recorded. */
  private constructor(readonly file: string, private readonly rows: RawRow[]) {
    this.name = `csv:${path.basename(file)}`;
  }

  static async open(file: string): Promise<CsvSource> {
    return new CsvSource(file, await readCsv(file));
  }

  async fetch({ dataset }: FetchRequest): Promise<FetchResult> {
    if (dataset !== 'daily') return { ok: false, effect: 'error', reason: `a CSV file holds daily bars, not ${dataset}` };
    if (this.rows.length === 0) return { ok: false, effect: 'error', reason: 'the file has no rows' };
    return { ok: true, kind: 'bars', rows: this.rows, duplicates: [] };
  }
}
