// GET /api/v1/market-data/export: the rows a listing would return, all of them, as a CSV download.
// The body is streamed: one keyset batch is read, written, and only then is the next one read,
// so an export of millions of rows holds one batch in memory and a slow or vanished client stops
// the reading (the stream is destroyed, and with it the batch generator). An export is not bound
// by the answer deadline (REQUEST_TIMEOUT_MS) — a download of millions of rows to a slow client
// may take longer — but one that makes no progress for that long is cut (see idleTimeoutMs).
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/index.ts';
import { exportBatches, type ExportRow } from '../db/market-data-export.ts';
import type { ListFilter } from '../db/market-data-list.ts';
import { profileOf } from '../db/profile.ts';
import { pinReadContext } from '../db/read-context.ts';
import { invalid, problemResponses } from './errors.ts';
import { AdjustmentParam, DateParam, IntervalParam, StringEnum, TICKER_LIST, TICKER_MESSAGE } from './schemas.ts';

export const CSV_HEADER = 'date,ticker,open,high,low,close,volume';

// The listing's filters (see market-data.ts), without its paging.
const ExportQuery = Type.Object({
  ticker: Type.Optional(Type.Array(
    Type.String({ pattern: TICKER_LIST, maxLength: 1000, 'x-message': `must be tickers (${TICKER_MESSAGE}), comma-separated` }),
    { maxItems: 100, description: 'Ticker(s), case-insensitive: repeat the parameter or separate with commas' },
  )),
  start_date: Type.Optional(DateParam('First date, inclusive')),
  end_date: Type.Optional(DateParam('Last date, inclusive')),
  order: StringEnum(['desc', 'asc'] as const, { default: 'desc', description: 'As in the listing: `desc` (date DESC, ticker ASC) or `asc` (date ASC, ticker ASC)' }),
  interval: IntervalParam,
  adjustment: AdjustmentParam,
});

const csvLines = (rows: ExportRow[]): string =>
  rows.map((r) => `${r.date},${r.ticker},${r.open},${r.high},${r.low},${r.close},${r.volume}\r\n`).join('');

/**
 * Rows handed to the response so far, when the client last took something, and whether the next
 * batch is being read (a slow statement is the statement timeout's business, not the client's).
 */
interface Progress { rows: number; at: number; reading: boolean }

async function* csv(batches: AsyncGenerator<ExportRow[]>, first: ExportRow[] | undefined, progress: Progress): AsyncGenerator<string> {
  progress.rows = first?.length ?? 0;
  yield `${CSV_HEADER}\r\n${first ? csvLines(first) : ''}`;
  for (;;) {
    progress.at = Date.now(); // asked for more: what went before has been taken
    progress.reading = true;
    const next = await batches.next();
    progress.reading = false;
    if (next.done) return;
    progress.rows += next.value.length;
    yield csvLines(next.value);
  }
}

/** Tickers named in a download's file name; more are counted instead (100 of them made 1.7 kB). */
const NAMED_TICKERS = 5;

/**
 * market-data[_TICKER…|_N-tickers][_from-DATE][_to-DATE][_1w][_split-adjusted].csv — only [A-Z0-9._-], so no quoting
 * issues, and at most ~130 characters.
 */
function fileName(filter: ListFilter): string {
  const tickers = filter.tickers ?? [];
  const parts = ['market-data', ...(tickers.length > NAMED_TICKERS ? [`${tickers.length}-tickers`] : tickers)];
  if (filter.startDate) parts.push(`from-${filter.startDate}`);
  if (filter.endDate) parts.push(`to-${filter.endDate}`);
  if (filter.interval && filter.interval !== '1d') parts.push(filter.interval);
  if (filter.adjustment && filter.adjustment !== 'raw') parts.push(`${filter.adjustment}-adjusted`);
  return `${parts.join('_')}.csv`;
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
      summary: 'Export bars as CSV (streamed)', tags: ['market data'],
      description: 'Every row matching the filters, in the listing\'s order, as `text/csv` (RFC 4180, CRLF line ends) ' +
        `with the header \`${CSV_HEADER}\`. Prices are the stored (or, with \`adjustment\`, adjusted) decimals without ` +
        'trailing zeros, exactly as the JSON listing prints them. Sent as an attachment; no paging: the body is streamed.',
      querystring: ExportQuery,
      response: {
        200: { description: 'The CSV file', content: { 'text/csv': { schema: Type.String({ examples: [`${CSV_HEADER}\r\n2024-01-15,AAPL,150.1,155,149,153,1000000\r\n`] }) } } },
        ...problemResponses(422, 503),
      },
    },
  }, async (request, reply) => {
    const q = request.query;
    if (q.start_date && q.end_date && q.start_date > q.end_date) {
      throw invalid([{ field: 'start_date', message: 'must be on or before end_date' }]);
    }
    const tickers = q.ticker && [...new Set(q.ticker.flatMap((v) => v.split(',')).map((t) => t.trim().toUpperCase()).filter(Boolean))].sort();
    const filter: ListFilter = {
      tickers: tickers?.length ? tickers : undefined, startDate: q.start_date, endDate: q.end_date, order: q.order, interval: q.interval, adjustment: q.adjustment,
    };
    // Later batches are read from the socket's events: they keep this request's read context.
    const batches = exportBatches(pinReadContext(db), filter, profileOf(db).exportBatchSize);
    // The first batch is read before answering, so a database that is down still gets a proper
    // 503 problem; later failures can only cut the download short (the status is already sent).
    const first = await batches.next();
    const progress: Progress = { rows: 0, at: Date.now(), reading: false };
    const body = Readable.from(csv(batches, first.done ? undefined : first.value, progress), { objectMode: false });
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
      .type('text/csv; charset=utf-8; header=present')
      .header('content-disposition', `attachment; filename="${fileName(filter)}"`)
      .header('cache-control', 'no-store')
      .send(body as unknown as string); // the schema types the body as its CSV text; a stream of it is sent
  });
};

export default plugin;
