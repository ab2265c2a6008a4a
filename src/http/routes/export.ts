// GET /api/v1/market-data/export: the rows a listing would return, all of them, as a CSV, Parquet,
// NDJSON or Arrow download (export-formats.ts writes the typed ones).
// The body is streamed: one keyset batch is read, written, and only then is the next one read,
// so an export of millions of rows holds one batch in memory and a slow or vanished client stops
// the reading (the stream is destroyed, and with it the batch generator). An export is not bound
// by the answer deadline (REQUEST_TIMEOUT_MS) — a download of millions of rows to a slow client
// may take longer — but one that makes no progress for that long is cut (see idleTimeoutMs).
import { pipeline, Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../../db/index.ts';
import { RecordBatchStreamWriter, type RecordBatch } from 'apache-arrow';
import { exportBatches, exportTickers, type ExportRow } from '../../db/repositories/market-data-export.ts';
import type { ListFilter } from '../../db/repositories/market-data-list.ts';
import { profileOf } from '../../db/driver/profile.ts';
import { pinReadContext } from '../../db/driver/read-context.ts';
import { invalid, problemResponses } from '../plugins/errors.ts';
import { arrowBatch, ndjsonLines, parquetLong, parquetWide, wideCsvHeader, wideCsvLines, wideRows, type WideField } from './export-formats.ts';
import { listFilters, StringEnum } from '../schemas.ts';
import { tickerList } from '../../model/bar.ts';

export const CSV_HEADER = 'date,ticker,open,high,low,close,volume';

// The listing's filters (see market-data.ts), without its paging.
const ExportQuery = Type.Object({
  ...listFilters('Ticker(s), case-insensitive: repeat the parameter or separate with commas',
    'As in the listing: `desc` (date DESC, ticker ASC) or `asc` (date ASC, ticker ASC)'),
  format: StringEnum(['csv', 'parquet', 'ndjson', 'arrow'] as const, {
    default: 'csv',
    description: '`csv`; `parquet` (date DATE, ticker STRING, prices DECIMAL(18,6), volume INT64, row groups of 10,000 rows); ' +
      '`ndjson` (one JSON object per line, prices as exact decimal numbers); `arrow` (Arrow IPC stream, prices Decimal128(18,6))',
  }),
  layout: StringEnum(['long', 'wide'] as const, {
    default: 'long',
    description: '`long`: a row per bar. `wide` (csv and parquet): a row per date and a column per ticker holding `field`, empty (null) where the ticker has no bar',
  }),
  field: StringEnum(['open', 'high', 'low', 'close', 'volume'] as const, { default: 'close', description: 'The value of a wide export\'s cells' }),
});

const csvLines = (rows: ExportRow[]): string =>
  rows.map((r) => `${r.date},${r.ticker},${r.open},${r.high},${r.low},${r.close},${r.volume}\r\n`).join('');

/**
 * Rows handed to the response so far, when the client last took something, and whether the next
 * batch is being read (a slow statement is the statement timeout's business, not the client's).
 */
interface Progress { rows: number; at: number; reading: boolean }

/** The batches, the first one already read, counting the rows handed on. */
async function* tracked(batches: AsyncGenerator<ExportRow[]>, first: ExportRow[] | undefined, progress: Progress): AsyncGenerator<ExportRow[]> {
  progress.rows = first?.length ?? 0;
  if (first) yield first;
  for (;;) {
    progress.at = Date.now(); // asked for more: what went before has been taken
    progress.reading = true;
    const next = await batches.next();
    progress.reading = false;
    if (next.done) return;
    progress.rows += next.value.length;
    yield next.value;
  }
}

/**
 * Values per chunk of a text export (256 long rows). A batch's text in one string would be hundreds
 * of kilobytes: V8 puts such strings in its large-object space, freed only by full collections;
 * chunks of a few tens of kilobytes die young.
 */
const TEXT_CHUNK_VALUES = 2048;

/**
 * A text file: `head`, then each batch's lines a chunk at a time (the first chunk with the head);
 * `width`: values per row.
 */
async function* text<R>(head: string, batches: AsyncIterable<R[]>, lines: (rows: R[]) => string, width = 8): AsyncGenerator<string> {
  const size = Math.max(1, Math.floor(TEXT_CHUNK_VALUES / width));
  let first = true;
  for await (const batch of batches) {
    for (let i = 0; i < batch.length; i += size) {
      const chunk = lines(batch.length <= size ? batch : batch.slice(i, i + size));
      yield first ? `${head}${chunk}` : chunk;
      first = false;
    }
  }
  if (first) yield head;
}

/**
 * The next batch is asked for before this one is handed on: a Parquet row group is encoded on
 * this thread while the database reads the next batch, instead of one after the other.
 */
async function* readAhead<T>(source: AsyncIterator<T>): AsyncGenerator<T> {
  let next = source.next();
  for (;;) {
    const r = await next;
    if (r.done) return;
    next = source.next();
    yield r.value;
  }
}

async function* arrowBatches(batches: AsyncIterable<ExportRow[]>): AsyncGenerator<RecordBatch> {
  let any = false;
  for await (const rows of batches) {
    any = true;
    yield arrowBatch(rows);
  }
  if (!any) yield arrowBatch([]); // an empty stream still carries its schema
}

type Format = 'csv' | 'parquet' | 'ndjson' | 'arrow';
const CONTENT_TYPES: Record<Format, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  parquet: 'application/vnd.apache.parquet',
  ndjson: 'application/x-ndjson; charset=utf-8',
  arrow: 'application/vnd.apache.arrow.stream',
};

/** Tickers named in a download's file name; more are counted instead (a long list makes a name too long). */
const NAMED_TICKERS = 5;

/**
 * market-data[_TICKER…|_N-tickers][_from-DATE][_to-DATE][_1w][_split-adjusted][_wide-close].csv|parquet|ndjson|arrow — only [A-Z0-9._-], so no quoting
 * issues, and at most ~130 characters.
 */
function fileName(filter: ListFilter, format: Format, wide?: WideField): string {
  const tickers = filter.tickers ?? [];
  const parts = ['market-data', ...(tickers.length > NAMED_TICKERS ? [`${tickers.length}-tickers`] : tickers)];
  if (filter.startDate) parts.push(`from-${filter.startDate}`);
  if (filter.endDate) parts.push(`to-${filter.endDate}`);
  if (filter.interval && filter.interval !== '1d') parts.push(filter.interval);
  if (filter.adjustment && filter.adjustment !== 'raw') parts.push(`${filter.adjustment}-adjusted`);
  if (wide) parts.push(`wide-${wide}`);
  return `${parts.join('_')}.${format}`;
}

interface ExportOptions {
  db: Database;
  /**
   * An export whose client takes nothing for this long (ms, 0: never) is cut: it holds a
   * connection and a batch in memory for nobody. REQUEST_TIMEOUT_MS.
   */
  idleTimeoutMs: number;
}

const plugin: FastifyPluginAsync<ExportOptions> = async (fastify, { db, idleTimeoutMs }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/market-data/export', {
    // A HEAD would run the whole export to throw it away.
    exposeHeadRoute: false,
    schema: {
      summary: 'Export bars as CSV, Parquet, NDJSON or Arrow (streamed)', tags: ['market data'],
      description: 'Every row matching the filters, in the listing\'s order. `format=csv` (the default): `text/csv` (RFC 4180, CRLF line ends) ' +
        `with the header \`${CSV_HEADER}\`. Prices are the stored (or, with \`adjustment\`, adjusted) decimals without ` +
        'trailing zeros, exactly as the JSON listing prints them. `parquet`, `ndjson` and `arrow` carry the same rows typed ' +
        '(see `format`); `layout=wide` pivots to a date × ticker matrix of `field`. Sent as an attachment; no paging: the body is streamed.',
      querystring: ExportQuery,
      response: {
        200: {
          description: 'The file',
          content: {
            'text/csv': { schema: Type.String({ examples: [`${CSV_HEADER}\r\n2024-01-15,AAPL,150.1,155,149,153,1000000\r\n`] }) },
            'application/vnd.apache.parquet': { schema: Type.String({ format: 'binary' }) },
            'application/x-ndjson': { schema: Type.String({ examples: ['{"date":"2024-01-15","ticker":"AAPL","open":150.1,"high":155,"low":149,"close":153,"volume":1000000}\n'] }) },
            'application/vnd.apache.arrow.stream': { schema: Type.String({ format: 'binary' }) },
          },
        },
        ...problemResponses(422, 503),
      },
    },
  }, async (request, reply) => {
    const q = request.query;
    if (q.start_date && q.end_date && q.start_date > q.end_date) {
      throw invalid([{ field: 'start_date', message: 'must be on or before end_date' }]);
    }
    const tickers = q.ticker && tickerList(q.ticker).sort();
    const filter: ListFilter = {
      tickers: tickers?.length ? tickers : undefined, startDate: q.start_date, endDate: q.end_date, order: q.order, interval: q.interval, adjustment: q.adjustment,
    };
    // Later batches are read from the socket's events: they keep this request's read context.
    const reads = pinReadContext(db);
    const wide = q.layout === 'wide' ? q.field : undefined;
    if (wide && (q.format === 'ndjson' || q.format === 'arrow')) {
      throw invalid([{ field: 'layout', message: 'wide is offered as csv or parquet' }]);
    }
    const tickerColumns = wide ? await exportTickers(reads, filter) : [];
    const batches = exportBatches(reads, filter, profileOf(db).exportBatchSize);
    // The first batch is read before answering, so a database that is down still gets a proper
    // 503 problem; later failures can only cut the download short (the status is already sent).
    const first = await batches.next();
    const progress: Progress = { rows: 0, at: Date.now(), reading: false };
    const rows = tracked(batches, first.done ? undefined : first.value, progress);
    let body: Readable;
    if (wide) {
      const dates = wideRows(rows, tickerColumns, wide);
      body = Readable.from(q.format === 'parquet' ? parquetWide(readAhead(dates), tickerColumns, wide) : text(wideCsvHeader(tickerColumns), dates, wideCsvLines, tickerColumns.length + 1), { objectMode: false });
    } else if (q.format === 'arrow') {
      // The writer turns record batches into IPC messages, minding the response's back-pressure.
      // pipeline: destroying the body (a cut export) destroys the batches' reader too.
      body = pipeline(Readable.from(arrowBatches(rows)), RecordBatchStreamWriter.throughNode(), () => {}) as unknown as Readable;
    } else {
      body = Readable.from(q.format === 'parquet' ? parquetLong(readAhead(rows))
        : q.format === 'ndjson' ? text('', rows, ndjsonLines) : text(`${CSV_HEADER}\r\n`, rows, csvLines), { objectMode: false });
    }
    body.on('error', (err) => request.log.error({ err, rows_sent: progress.rows }, 'export failed after it started'));
    if (idleTimeoutMs > 0) {
      // Progress is the client taking bytes: the socket handing more to the kernel, whose buffers
      // (megabytes on loopback) a slow reader drains for seconds before the next batch is asked for.
      const socket = reply.raw.socket;
      let flushed = -1;
      const idle = setInterval(() => {
        const now = socket ? socket.bytesWritten - socket.writableLength : 0;
        if (now !== flushed) {
          flushed = now;
          progress.at = Date.now();
        }
        if (progress.reading || Date.now() - progress.at <= idleTimeoutMs) return;
        clearInterval(idle);
        request.log.warn({ rows_sent: progress.rows, idle_ms: Date.now() - progress.at }, `export cut: the client took nothing for ${idleTimeoutMs} ms`);
        body.destroy();
        reply.raw.destroy();
      }, Math.max(10, Math.min(1000, Math.floor(idleTimeoutMs / 4))));
      idle.unref();
      reply.raw.once('close', () => clearInterval(idle));
    }
    return reply
      .type(CONTENT_TYPES[q.format])
      .header('content-disposition', `attachment; filename="${fileName(filter, q.format, wide)}"`)
      .header('cache-control', 'no-store')
      .send(body as unknown as string); // the schema types the body as its CSV text; a stream of it is sent
  });
};

export default plugin;
