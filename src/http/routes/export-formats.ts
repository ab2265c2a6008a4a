// The export's file formats, written batch by batch so memory stays at one batch (one row group
// for Parquet) whatever the size of the export. Prices go from the database's exact decimal text
// to scaled integers (DECIMAL's unscaled value) by string arithmetic, never through a float.
import {
  Decimal, Field, Int64, makeData, RecordBatch, Schema, Struct, Utf8, DateDay, vectorFromArray,
} from 'apache-arrow';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import type { ExportRow } from '../../db/repositories/market-data-export.ts';
import { PRICE_FIELDS, PRICE_SCALE } from '../../model/bar.ts';

/** Every exported price fits DECIMAL(18,6): stored ones are NUMERIC(15,6); adjusted ones may grow up to 1,000×. */
const PRICE_PRECISION = 18;
export type WideField = (typeof PRICE_FIELDS)[number] | 'volume';

/**
 * Rows per Parquet row group. A group is encoded in one go on the service's thread, and other
 * requests wait meanwhile: small groups keep that wait short, at a small cost in file size
 * (measured in docs/performance.md).
 */
const PARQUET_ROW_GROUP = 10_000;
/**
 * Integer columns (scaled prices, volumes) as deltas: half the bytes of PLAIN + Snappy, and less
 * to compress (BYTE_STREAM_SPLIT is smaller still, but DuckDB reads it only for floats).
 */
const DELTA = 'DELTA_BINARY_PACKED' as const;

/** "150.1" → 150100000n at scale 6: exact, or an error for text that is not such a decimal. */
export function unscaled(text: string, scale = PRICE_SCALE, precision = PRICE_PRECISION): bigint {
  const value = unscaledValue(text, scale, precision);
  return typeof value === 'bigint' ? value : BigInt(value);
}

/**
 * unscaled as a number while it is exact in a double (up to 15 digits: every stored price), as a
 * bigint beyond: a million rows are four million prices, and a bigint each is most of the work.
 */
export function unscaledValue(text: string, scale = PRICE_SCALE, precision = PRICE_PRECISION): number | bigint {
  // One pass over the characters: up to 15 digits the scaled value is an exact integer in a double.
  let value = 0;
  let digits = 0;
  let places = -1;
  let i = text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const start = i;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */ && places < 0 && i > start) places = 0;
    else if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (value) digits++;
      if (places >= 0) places++;
    } else break;
  }
  if (i < text.length || i === start || places > scale) {
    throw new Error(places > scale ? `not a decimal with at most ${scale} places: ${text}` : `not a decimal: ${text}`);
  }
  const pad = scale - Math.max(places, 0);
  if (digits + pad > precision) throw new Error(`${text} does not fit DECIMAL(${precision},${scale})`);
  if (digits + pad > 15) {
    const [whole, fraction = ''] = text.replace('-', '').split('.');
    const exact = BigInt(`${whole}${fraction.padEnd(scale, '0')}`);
    return text.startsWith('-') ? -exact : exact;
  }
  const scaled = value * 10 ** pad;
  return text.charCodeAt(0) === 45 ? -scaled : scaled;
}

const DAY_MS = 86_400_000;
/** A `YYYY-MM-DD` date → days since the Unix epoch (Parquet's and Arrow's DATE). */
export const epochDay = (date: string): number => Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10)) / DAY_MS;

const priceElement = (name: string, required: boolean): SchemaElement => ({
  name, type: 'INT64', repetition_type: required ? 'REQUIRED' : 'OPTIONAL',
  converted_type: 'DECIMAL', precision: PRICE_PRECISION, scale: PRICE_SCALE,
  logical_type: { type: 'DECIMAL', precision: PRICE_PRECISION, scale: PRICE_SCALE },
});
const dateElement: SchemaElement = { name: 'date', type: 'INT32', repetition_type: 'REQUIRED', converted_type: 'DATE', logical_type: { type: 'DATE' } };
const volumeElement = (name: string, required: boolean): SchemaElement => ({
  // A plain INT64 is a signed 64-bit integer; the writer's INTEGER annotation is not read by DuckDB.
  name, type: 'INT64', repetition_type: required ? 'REQUIRED' : 'OPTIONAL',
});

/** `bounds`: the column's min and max, given (the writer's own statistics compare value by value). */
type Column = { name: string; data: ArrayLike<unknown>; encoding?: typeof DELTA; bounds?: Bounds };
type Bounds = { min: number | bigint; max: number | bigint };

/**
 * A Parquet file written row group by row group: `add` takes column values, `take` hands back the
 * bytes written since the last call, `finish` the footer. The writer keeps only the groups'
 * metadata.
 *
 * DECIMAL columns are written as the plain INT64 they are stored as, and annotated DECIMAL in the
 * footer only: hyparquet-writer turns every value of a DECIMAL column into a bigint, and packs
 * deltas with bigint arithmetic unless the values are numbers in 32-bit range — most of an
 * export's time. Given unscaled integers (numbers or bigints), the bytes are the same.
 */
class ParquetStream {
  private readonly bytes = new ByteWriter();
  private readonly writer: ParquetWriter;
  private readonly decimals: { element: SchemaElement; annotation: Partial<SchemaElement> }[] = [];
  constructor(schema: SchemaElement[]) {
    const plain = schema.map((e) => {
      if (e.converted_type !== 'DECIMAL') return e;
      const { converted_type, logical_type, precision, scale, ...rest } = e;
      const element = { ...rest };
      this.decimals.push({ element, annotation: { converted_type, logical_type, precision, scale } });
      return element;
    });
    this.writer = new ParquetWriter({ writer: this.bytes, schema: plain, createdBy: 'market-data-pipeline' });
  }
  group(columns: Column[]): Uint8Array {
    const rows = columns[0]!.data.length;
    if (rows) {
      void this.writer.write({ columnData: columns.map((c) => (c.bounds ? { ...c, statistics: false } : c)) as never, rowGroupSize: rows });
      const chunks = this.writer.row_groups.at(-1)!.columns;
      columns.forEach((c, i) => {
        if (c.bounds) chunks[i]!.meta_data!.statistics = { min_value: BigInt(c.bounds.min), max_value: BigInt(c.bounds.max), null_count: 0n };
      });
    }
    return this.take();
  }
  finish(): Uint8Array {
    // The footer's DECIMAL statistics are unscaled values: bigints (a number would be scaled again).
    const names = new Set(this.decimals.map((d) => d.element.name));
    for (const group of this.writer.row_groups) {
      for (const chunk of group.columns) {
        const stats = chunk.meta_data?.statistics;
        if (!stats || !names.has(chunk.meta_data!.path_in_schema.at(-1)!)) continue;
        for (const key of ['min_value', 'max_value', 'min', 'max'] as const) {
          const v = stats[key];
          if (typeof v === 'number') stats[key] = BigInt(v);
        }
      }
    }
    for (const { element, annotation } of this.decimals) Object.assign(element, annotation);
    void this.writer.finish();
    return this.take();
  }
  /** The bytes written since the last call (at first: the PAR1 magic). */
  take(): Uint8Array {
    const out = this.bytes.getBytes().slice();
    this.bytes.index = 0; // `offset` keeps counting: the footer's offsets are the file's
    return out;
  }
}

/** A volume (a number, or the database's text of a bigint) as a number while exact, else a bigint. */
const int64Value = (v: number | string): number | bigint => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : BigInt(v);
};

/**
 * A row group's INT64 column of unscaled values: exact integers in a Float64Array (no bigint per
 * value), turned into an array of numbers and bigints if a value is beyond a double's integers.
 */
class Int64Column {
  numbers: Float64Array;
  mixed: (number | bigint)[] | undefined;
  constructor(readonly size: number) {
    this.numbers = new Float64Array(size);
  }
  set(i: number, value: number | bigint): void {
    if (this.mixed) this.mixed[i] = value;
    else if (typeof value === 'number') this.numbers[i] = value;
    else {
      this.mixed = Array.from(this.numbers);
      this.mixed[i] = value;
    }
  }
  /** The first n values (n > 0) and their bounds; the column starts afresh for the next group. */
  take(n: number): { data: ArrayLike<number | bigint>; bounds: Bounds } {
    const data = this.mixed ? this.mixed.slice(0, n) : this.numbers.subarray(0, n);
    let min = data[0]!;
    let max = min;
    for (let i = 1; i < n; i++) {
      const v = data[i]!;
      if (v < min) min = v;
      else if (v > max) max = v;
    }
    this.numbers = new Float64Array(this.size);
    this.mixed = undefined;
    return { data, bounds: { min, max } };
  }
}

/** Long Parquet: date DATE, ticker STRING, prices DECIMAL(18,6), volume INT64. */
export async function* parquetLong(batches: AsyncIterable<ExportRow[]>, groupRows = PARQUET_ROW_GROUP): AsyncGenerator<Uint8Array> {
  const file = new ParquetStream([
    { name: 'root', num_children: 7 }, dateElement,
    { name: 'ticker', type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'REQUIRED' },
    ...PRICE_FIELDS.map((f) => priceElement(f, true)), volumeElement('volume', true),
  ]);
  let n = 0;
  let dates = new Int32Array(groupRows);
  let tickers: string[] = [];
  const prices = PRICE_FIELDS.map(() => new Int64Column(groupRows));
  const volumes = new Int64Column(groupRows);
  const flush = () => {
    const out = file.group([
      { name: 'date', data: dates.subarray(0, n) }, { name: 'ticker', data: tickers },
      ...PRICE_FIELDS.map((f, i) => ({ name: f, ...prices[i]!.take(n), encoding: DELTA })), { name: 'volume', ...volumes.take(n), encoding: DELTA },
    ]);
    n = 0;
    dates = new Int32Array(groupRows);
    tickers = [];
    return out;
  };
  yield file.take(); // the PAR1 magic: something to answer with at once
  for await (const rows of batches) {
    for (const r of rows) {
      dates[n] = epochDay(r.date);
      tickers.push(r.ticker);
      for (let i = 0; i < PRICE_FIELDS.length; i++) prices[i]!.set(n, unscaledValue(r[PRICE_FIELDS[i]!]));
      volumes.set(n, int64Value(r.volume));
      if (++n === groupRows) yield flush();
    }
  }
  if (n) yield flush();
  yield file.finish();
}

/** One JSON object per line, prices as the listing's exact decimal numbers. */
export const ndjsonLines = (rows: ExportRow[]): string =>
  rows.map((r) => `{"date":"${r.date}","ticker":"${r.ticker}","open":${r.open},"high":${r.high},"low":${r.low},"close":${r.close},"volume":${r.volume}}\n`).join('');

const arrowPrice = () => new Decimal(PRICE_SCALE, PRICE_PRECISION, 128);
const ARROW_SCHEMA = new Schema([
  new Field('date', new DateDay(), false), new Field('ticker', new Utf8(), false),
  ...PRICE_FIELDS.map((f) => new Field(f, arrowPrice(), false)), new Field('volume', new Int64(), false),
]);

/** 128-bit little-endian two's complement words of each value, Arrow's Decimal128 layout. */
function decimal128(values: bigint[]): Uint32Array {
  const words = new Uint32Array(values.length * 4);
  const view = new BigInt64Array(words.buffer);
  values.forEach((v, i) => {
    view[2 * i] = BigInt.asIntN(64, v);
    view[2 * i + 1] = v < 0n ? -1n : 0n;
  });
  return words;
}

/** One Arrow record batch of export rows. */
export function arrowBatch(rows: ExportRow[]): RecordBatch {
  const length = rows.length;
  const children = [
    makeData({ type: new DateDay(), length, nullCount: 0, data: Int32Array.from(rows, (r) => epochDay(r.date)) }),
    vectorFromArray(rows.map((r) => r.ticker), new Utf8()).data[0]!,
    ...PRICE_FIELDS.map((f) => makeData({ type: arrowPrice(), length, nullCount: 0, data: decimal128(rows.map((r) => unscaled(r[f]))) })),
    makeData({ type: new Int64(), length, nullCount: 0, data: BigInt64Array.from(rows, (r) => BigInt(r.volume)) }),
  ];
  return new RecordBatch(ARROW_SCHEMA, makeData({ type: new Struct(ARROW_SCHEMA.fields), length, nullCount: 0, children }));
}

/** One date of the wide layout: the field's value per ticker column, null where a ticker has no bar. */
interface WideRow { date: string; values: (string | null)[] }

/**
 * Rows in (date, ticker) order → one row per date. A date's rows may straddle two batches, so
 * the last date of a batch is held back until the next batch (or the end) shows it complete.
 */
export async function* wideRows(batches: AsyncIterable<ExportRow[]>, tickers: string[], field: WideField): AsyncGenerator<WideRow[]> {
  const column = new Map(tickers.map((t, i) => [t, i]));
  let current: WideRow | undefined;
  for await (const rows of batches) {
    const done: WideRow[] = [];
    for (const r of rows) {
      if (current?.date !== r.date) {
        if (current) done.push(current);
        current = { date: r.date, values: tickers.map(() => null) };
      }
      const i = column.get(r.ticker);
      if (i !== undefined) current.values[i] = String(r[field]);
    }
    if (done.length) yield done;
  }
  if (current) yield [current];
}

const csvField = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
export const wideCsvHeader = (tickers: string[]) => `date,${tickers.map(csvField).join(',')}\r\n`;
export const wideCsvLines = (rows: WideRow[]) => rows.map((r) => `${r.date},${r.values.map((v) => v ?? '').join(',')}\r\n`).join('');

/** Wide Parquet: date DATE and one nullable column per ticker (DECIMAL(18,6) prices, INT64 volumes). */
export async function* parquetWide(rows: AsyncIterable<WideRow[]>, tickers: string[], field: WideField,
  // About as many cells per group as a long group has rows: 500 tickers make groups of 20 dates.
  groupRows = Math.max(1, Math.floor(PARQUET_ROW_GROUP / Math.max(1, tickers.length)))): AsyncGenerator<Uint8Array> {
  const volume = field === 'volume';
  const file = new ParquetStream([
    { name: 'root', num_children: tickers.length + 1 }, dateElement,
    ...tickers.map((t) => (volume ? volumeElement(t, false) : priceElement(t, false))),
  ]);
  yield file.take();
  let group: WideRow[] = [];
  const flush = () => {
    const out = file.group([
      { name: 'date', data: Int32Array.from(group, (r) => epochDay(r.date)) },
      ...tickers.map((t, i) => ({ name: t, encoding: DELTA, data: group.map((r) => { const v = r.values[i]; return v === null || v === undefined ? null : volume ? BigInt(v) : unscaled(v); }) })),
    ]);
    group = [];
    return out;
  };
  for await (const batch of rows) {
    for (const r of batch) {
      group.push(r);
      if (group.length === groupRows) yield flush();
    }
  }
  if (group.length) yield flush();
  yield file.finish();
}
