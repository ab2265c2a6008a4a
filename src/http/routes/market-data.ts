// /api/v1/market-data: list (offset or keyset pages), read, create, update, delete.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../config.ts';
import { readsOf, type Database } from '../../db/index.ts';
import {
  batchedGet, batchedInsert, deleteMarketData, getPrices, updateMarketData, type MarketDataPatch,
} from '../../db/repositories/market-data.ts';
import { toDatabaseError } from '../../db/driver/errors.ts';
import { batchedList } from '../../db/repositories/market-data-list.ts';
import { profileOf } from '../../db/driver/profile.ts';
import { checkPrices, parseDate, parseTicker, PRICE_FIELDS, TICKER_MAX_LENGTH, tickerList, type FieldError } from '../../model/bar.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { invalid, ProblemError, problemResponses } from '../plugins/errors.ts';
import { IdParams, listFilters, PriceIn, TICKER_MESSAGE, TICKER_TEXT, VolumeIn } from '../schemas.ts';

/**
 * Sends JSON text made by the database (src/db/repositories/record-json.ts). The route schemas still document
 * these answers; the tests check the text against them.
 */
const sendJson = (reply: FastifyReply, text: string) => (reply as FastifyReply).type('application/json; charset=utf-8').send(text);

interface MarketDataRoutesOptions { db: Database; config: Config }

function listQuery(config: Config) {
  return Type.Object({
    ...listFilters('Ticker(s), case-insensitive: repeat the parameter or separate with commas; rows of any of them',
      '`desc`: newest first (date DESC, ticker ASC); `asc`: date ASC, ticker ASC'),
    page: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 1, description: 'Page number (ignored when `cursor` is given)' }),
    size: Type.Integer({ minimum: 1, maximum: config.maxPageSize, default: config.defaultPageSize, description: 'Rows per page' }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: '`next_cursor` of the previous page: the following page by keyset, as cheap at any depth' })),
  });
}

const Page = Type.Object({
  items: Type.Array(Type.Ref('MarketData')),
  total: Type.Integer({ description: 'Rows matching the filters (exact)' }),
  page: Type.Integer(),
  size: Type.Integer(),
  pages: Type.Integer(),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' }),
});

const CreateBody = Type.Object({
  ticker: Type.String({ pattern: TICKER_TEXT, maxLength: TICKER_MAX_LENGTH, 'x-message': TICKER_MESSAGE, description: 'Stored upper-case', examples: ['AAPL'] }),
  date: Type.String({ format: 'date', description: 'Trading date; a real calendar date, not in the future', examples: ['2024-01-15'] }),
  open: PriceIn('Opening price > 0; low ≤ open ≤ high'),
  high: PriceIn('High price > 0'),
  low: PriceIn('Low price > 0'),
  close: PriceIn('Closing price > 0; low ≤ close ≤ high'),
  volume: VolumeIn,
}, { additionalProperties: false });

const PatchBody = Type.Object({
  open: Type.Optional(PriceIn('Opening price')),
  high: Type.Optional(PriceIn('High price')),
  low: Type.Optional(PriceIn('Low price')),
  close: Type.Optional(PriceIn('Closing price')),
  volume: Type.Optional(VolumeIn),
}, { additionalProperties: false, minProperties: 1, description: 'Any of open, high, low, close, volume; the merged row must still satisfy the price rules' });

const splitTickers = (values: string[] | undefined): string[] | undefined => {
  if (!values) return undefined;
  const tickers = tickerList(values);
  return tickers.length ? tickers.sort() : undefined;
};

const pricesOf = (row: { open: string; high: string; low: string; close: string }) =>
  ({ open: row.open, high: row.high, low: row.low, close: row.close });

const plugin: FastifyPluginAsync<MarketDataRoutesOptions> = async (fastify, { db, config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const notFound = (id: number) => new ProblemError(404, `market data ${id} not found`);
  // Concurrent listings, reads by id and creates share statements (src/db/driver/batcher.ts).
  const getMarketData = batchedGet(readsOf(db));
  const listMarketData = batchedList(readsOf(db), profileOf(db).listBatching);
  const insertMarketData = batchedInsert(db);

  app.get('/market-data', {
    schema: {
      summary: 'List bars: daily to yearly, raw or adjusted', tags: ['market data'], querystring: listQuery(config),
      response: { 200: Page, ...problemResponses(422, 503) },
    },
  }, async (request, reply) => {
    const q = request.query;
    if (q.start_date && q.end_date && q.start_date > q.end_date) {
      throw invalid([{ field: 'start_date', message: 'must be on or before end_date' }]);
    }
    let page = q.page;
    let after;
    if (q.cursor !== undefined) {
      const cursor = decodeCursor(q.cursor);
      if (!cursor) throw invalid([{ field: 'cursor', message: 'is not a cursor from this API' }]);
      if (cursor.order !== q.order) throw invalid([{ field: 'cursor', message: `was made for order=${cursor.order}; pass the same order` }]);
      if (cursor.interval !== q.interval) throw invalid([{ field: 'cursor', message: `was made for interval=${cursor.interval}; pass the same interval` }]);
      page = cursor.page;
      after = { date: cursor.date, ticker: cursor.ticker };
    }
    const filter = { tickers: splitTickers(q.ticker), startDate: q.start_date, endDate: q.end_date, order: q.order, interval: q.interval, adjustment: q.adjustment };
    const { total, count, items, last } = await listMarketData(filter, { size: q.size, offset: (page - 1) * q.size, after });
    const more = last !== undefined && count === q.size && page * q.size < total;
    const next = more ? `"${encodeCursor({ ...last, order: q.order, page: page + 1, interval: q.interval })}"` : 'null'; // base64url: nothing to escape
    // The records arrive as JSON text (src/db/repositories/record-json.ts); the page around them is this line.
    return sendJson(reply, `{"items":${items},"total":${total},"page":${page},"size":${q.size},"pages":${Math.ceil(total / q.size)},"next_cursor":${next}}`);
  });

  app.get('/market-data/:id', {
    schema: {
      summary: 'Read one bar', tags: ['market data'], params: IdParams,
      response: { 200: Type.Ref('MarketData'), ...problemResponses(404, 422, 503) },
    },
  }, async (request, reply) => {
    const json = await getMarketData(request.params.id);
    if (!json) throw notFound(request.params.id);
    return sendJson(reply, json);
  });

  app.post('/market-data', {
    schema: {
      summary: 'Create a bar', tags: ['market data'], body: CreateBody,
      response: { 201: Type.Ref('MarketData'), ...problemResponses(400, 401, 409, 413, 422, 503) },
    },
  }, async (request, reply) => {
    const b = request.body;
    const ticker = parseTicker(b.ticker);
    const date = parseDate(b.date);
    const errors: FieldError[] = [];
    if (!ticker.ok) errors.push({ field: 'ticker', message: ticker.message });
    if (!date.ok) errors.push({ field: 'date', message: date.message });
    errors.push(...checkPrices(pricesOf(b)));
    if (errors.length || !ticker.ok || !date.ok) throw invalid(errors);

    const row = await insertMarketData({ ...pricesOf(b), ticker: ticker.value, date: date.value, volume: b.volume });
    if (!row) throw new ProblemError(409, `market data for ${ticker.value} on ${date.value} already exists`);
    request.log.info({ record_id: row.id, ticker: row.ticker, date: row.date }, 'market data created');
    return sendJson(reply.code(201).header('location', `/api/v1/market-data/${row.id}`), row.json);
  });

  const update = async (id: number, patch: MarketDataPatch) => {
    try {
      return await updateMarketData(db, id, patch);
    } catch (err) {
      if (toDatabaseError(err).kind !== 'check') throw err;
      // A CHECK refused the merged row: read it back to say which field is out of line.
      const current = await getPrices(db, id);
      const merged = { ...pricesOf(current ?? { open: '1', high: '1', low: '1', close: '1' }), ...definedPrices(patch) };
      const errors = checkPrices(merged);
      throw invalid(errors.length ? errors : [{ field: 'body', message: 'the updated row would break a price rule' }]);
    }
  };

  for (const method of ['put', 'patch'] as const) {
    app[method]('/market-data/:id', {
      schema: {
        summary: method === 'put' ? 'Update fields of a bar' : 'Update fields of a bar (same as PUT)',
        tags: ['market data'], params: IdParams, body: PatchBody,
        response: { 200: Type.Ref('MarketData'), ...problemResponses(400, 401, 404, 413, 422, 503) },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      const row = await update(id, request.body as MarketDataPatch);
      if (!row) throw notFound(id);
      request.log.info({ record_id: id, ticker: row.ticker, date: row.date }, 'market data updated');
      return sendJson(reply, row.json);
    });
  }

  app.delete('/market-data/:id', {
    schema: {
      summary: 'Delete a bar', tags: ['market data'], params: IdParams,
      response: { 204: Type.Unsafe<void>({ description: 'Deleted; no body' }), ...problemResponses(401, 404, 422, 503) },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    if (!(await deleteMarketData(db, id))) throw notFound(id);
    request.log.info({ record_id: id }, 'market data deleted');
    return reply.code(204).send();
  });
};

function definedPrices(patch: MarketDataPatch): Partial<Record<(typeof PRICE_FIELDS)[number], string>> {
  return Object.fromEntries(PRICE_FIELDS.filter((f) => patch[f] !== undefined).map((f) => [f, patch[f]]));
}

export default plugin;
