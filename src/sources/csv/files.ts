// Files for a bulk import, read as a stream of rows in batches: a CSV with a `ticker` (or
// `symbol`) column, a one-ticker CSV (Alpha Vantage's `datatype=csv`: the ticker comes from
// --ticker), or Parquet (read one row group at a time). Values stay as the file wrote them — text,
// or for Parquet exact decimal text — for the transformer's rules to judge.
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parse } from 'csv-parse';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { FileMetaData, SchemaElement } from 'hyparquet';
import type { RawRow } from '../source.ts';
import { CsvFormatError } from './index.ts';

/** A row of a file, where it was, and the ticker it names (or the one given). */
export interface FileRow { line: number; ticker: string; raw: RawRow }

const BATCH_ROWS = 5000;
const REQUIRED = ['open', 'high', 'low', 'close', 'volume'] as const;

/** The files to import: the file given, or a directory's .csv and .parquet files (not recursive), by name. */
export function importFiles(target: string): string[] {
  const stat = fs.statSync(target);
  if (stat.isFile()) return [target];
  return fs.readdirSync(target).filter((f) => /\.(csv|parquet)$/i.test(f)).sort().map((f) => path.join(target, f));
}

const tickerColumn = (names: string[]) => names.find((n) => n === 'ticker' || n === 'symbol');
const dateColumn = (names: string[]) => names.find((n) => n === 'date' || n === 'timestamp');

function checkColumns(file: string, names: string[], ticker: string | undefined): void {
  const missing = [...REQUIRED.filter((c) => !names.includes(c)), ...(dateColumn(names) ? [] : ['timestamp|date'])];
  if (!tickerColumn(names) && !ticker) missing.push('ticker (or --ticker)');
  if (missing.length) throw new CsvFormatError(`${path.basename(file)}: lacks ${missing.join(', ')} (expected [ticker,]timestamp|date,open,high,low,close,volume)`);
}

/**
 * Whether the file has no quote and only one kind of line break (LF, or CRLF throughout): then
 * its records are its lines and its fields what lies between commas, and readPlainCsvRows reads
 * it as csv-parse would, several times faster.
 */
export async function isPlainCsv(file: string): Promise<boolean> {
  let cr = 0;
  let lf = 0;
  let lastByte = -1;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (chunk.indexOf(0x22) !== -1) return false;
    if (lastByte === 0x0d && chunk[0] !== 0x0a) return false;
    for (let i = chunk.indexOf(0x0d); i !== -1; i = chunk.indexOf(0x0d, i + 1)) {
      if (i + 1 < chunk.length && chunk[i + 1] !== 0x0a) return false;
      cr++;
    }
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lf++;
    lastByte = chunk[chunk.length - 1]!;
  }
  return lastByte !== 0x0d && (cr === 0 || cr === lf);
}

/** csv-parse's `trim`: spaces, tabs, form feeds and carriage returns around a field. */
function trimField(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isBlank(s.charCodeAt(a))) a++;
  while (b > a && isBlank(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
const isBlank = (c: number) => c === 0x20 || c === 0x09 || c === 0x0c || c === 0x0d;

/**
 * readCsvRows for a file isPlainCsv accepts, with the same options' effect: a BOM dropped, fields
 * trimmed, blank lines skipped, short records given as far as they go, header names lower-cased
 * (of two equal names, the last the record has wins), line numbers counted from the header's line 1.
 */
export async function* readPlainCsvRows(file: string, ticker: string | undefined, onBytes?: (bytes: number) => void): AsyncGenerator<FileRow[]> {
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder('utf8');
  // Where each wanted column is; a name given twice holds the last of its fields the record has.
  let index: Record<'ticker' | 'date' | (typeof REQUIRED)[number], number[]> | undefined;
  let line = 0;
  let batch: FileRow[] = [];
  const at = (fields: string[], where: number[]) => {
    for (let k = where.length - 1; k >= 0; k--) if (where[k]! < fields.length) return trimField(fields[where[k]!]!);
    return undefined;
  };
  /** One line (without its break) into the batch, or the header into `index`. */
  const take = (text: string) => {
    line++;
    const fields = text.split(',');
    if (fields.length === 1 && trimField(fields[0]!) === '') return;
    if (!index) {
      const names = fields.map((f) => trimField(f).toLowerCase());
      checkColumns(file, names, ticker);
      const last = (name: string | undefined) => names.flatMap((n, i) => (n === name ? [i] : []));
      index = {
        ticker: last(tickerColumn(names)), date: last(dateColumn(names)), open: last('open'), high: last('high'),
        low: last('low'), close: last('close'), volume: last('volume'),
      };
      return;
    }
    batch.push({
      line, ticker: index.ticker.length ? at(fields, index.ticker) ?? '' : ticker!,
      raw: {
        date: at(fields, index.date) ?? '', open: at(fields, index.open), high: at(fields, index.high), low: at(fields, index.low),
        close: at(fields, index.close), volume: at(fields, index.volume),
      },
    });
  };
  let rest = '';
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let text = rest + decoder.write(chunk);
    if (line === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; start = end + 1, end = text.indexOf('\n', start)) {
      take(text.slice(start, end));
      if (batch.length >= BATCH_ROWS) {
        yield batch;
        batch = [];
      }
    }
    rest = text.slice(start);
    onBytes?.(input.bytesRead);
  }
  rest += decoder.end();
  if (rest.length) take(rest); // the last line, without a line break after it
  if (batch.length) yield batch;
}

/**
 * Rows of a CSV file in batches; `onBytes` hears how far into the file the reading is. A file
 * without a ticker column needs `ticker`.
 */
export async function* readCsvRows(file: string, ticker: string | undefined, onBytes?: (bytes: number) => void): AsyncGenerator<FileRow[]> {
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (onBytes) input.on('data', () => onBytes(input.bytesRead));
  const parser = input.pipe(parse({
    bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true,
    columns: (header: string[]) => header.map((h) => h.toLowerCase()),
  }));
  let columns: { ticker?: string; date: string } | undefined;
  let batch: FileRow[] = [];
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    if (!columns) {
      const names = Object.keys(record);
      checkColumns(file, names, ticker);
      columns = { ticker: tickerColumn(names), date: dateColumn(names)! };
    }
    batch.push({
      line: info.lines, ticker: columns.ticker ? record[columns.ticker] ?? '' : ticker!,
      raw: { date: record[columns.date] ?? '', open: record.open, high: record.high, low: record.low, close: record.close, volume: record.volume },
    });
    if (batch.length === BATCH_ROWS) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** An unscaled decimal (bigint, number or big-endian two's complement bytes) as exact text. */
function decimalText(value: unknown, scale: number): string {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') n = BigInt(value);
  else if (value instanceof Uint8Array) {
    n = 0n;
    for (const byte of value) n = (n << 8n) | BigInt(byte);
    if (value.length && value[0]! & 0x80) n -= 1n << BigInt(8 * value.length);
  } else return String(value);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** Dates as YYYY-MM-DD (a DATE column reads as a Date at UTC midnight), other values as text. */
const text = (value: unknown): unknown =>
  value instanceof Date ? value.toISOString().slice(0, 10) : typeof value === 'bigint' ? value.toString() : value;

/**
 * Rows of a Parquet file, one row group at a time. DECIMAL columns are read as their unscaled
 * integers (the reader would make floats of them) and written out as exact text.
 */
async function* readParquetRows(file: string, ticker: string | undefined, onBytes?: (bytes: number) => void): AsyncGenerator<FileRow[]> {
  const buffer = await asyncBufferFromFile(file);
  const metadata: FileMetaData = await parquetMetadataAsync(buffer);
  const scales = new Map<string, number>();
  const schema: SchemaElement[] = metadata.schema.map((e) => {
    if (e.converted_type !== 'DECIMAL' && e.logical_type?.type !== 'DECIMAL') return e;
    scales.set(e.name.toLowerCase(), e.scale ?? (e.logical_type?.type === 'DECIMAL' ? e.logical_type.scale : 0));
    const { converted_type: _c, logical_type: _l, ...plain } = e;
    return plain;
  });
  const names = schema.slice(1).map((e) => e.name.toLowerCase());
  checkColumns(file, names, ticker);
  const original = new Map(schema.slice(1).map((e) => [e.name.toLowerCase(), e.name]));
  const col = (name: string) => original.get(name)!;
  const tickerCol = tickerColumn(names);
  const dateCol = dateColumn(names)!;
  const value = (row: Record<string, unknown>, name: string) => {
    const v = row[col(name)];
    return scales.has(name) && v !== null && v !== undefined ? decimalText(v, scales.get(name)!) : text(v);
  };
  const plainMetadata = { ...metadata, schema };
  let rowStart = 0;
  let bytes = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file: buffer, metadata: plainMetadata, rowStart, rowEnd }) as Record<string, unknown>[];
    yield rows.map((row, i) => ({
      line: rowStart + i + 1,
      ticker: tickerCol ? String(value(row, tickerCol) ?? '') : ticker!,
      raw: {
        date: String(value(row, dateCol) ?? ''), open: value(row, 'open'), high: value(row, 'high'), low: value(row, 'low'),
        close: value(row, 'close'), volume: value(row, 'volume'),
      },
    }));
    rowStart = rowEnd;
    bytes += Number(group.total_compressed_size ?? group.total_byte_size);
    onBytes?.(bytes);
  }
}

export async function* readRows(file: string, ticker: string | undefined, onBytes?: (bytes: number) => void): AsyncGenerator<FileRow[]> {
  if (/\.parquet$/i.test(file)) yield* readParquetRows(file, ticker, onBytes);
  else if (await isPlainCsv(file)) yield* readPlainCsvRows(file, ticker, onBytes);
  else yield* readCsvRows(file, ticker, onBytes);
}
