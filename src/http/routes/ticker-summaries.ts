// GET /api/v1/ticker-summaries: every stored ticker with its row count, date range, newest close
// and last change, in one cheap request (per-ticker counts are kept by triggers, migration 0004).
// Not under /tickers/…: any word there is a valid ticker symbol.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../../db/index.ts';
import { listTickerSummaries } from '../../db/repositories/ticker-summaries.ts';
import { problemResponses } from '../plugins/errors.ts';
import { AdjustmentParam } from '../schemas.ts';

// Stored decimals leave as JSON numbers, exactly: NUMERIC(15,6) never holds more than 15
// significant digits, which a double carries exactly (see PriceOut in schemas.ts).
const Price = Type.Number({ description: 'Exact decimal price', examples: [153.2] });

const TickerListing = Type.Object({
  ticker: Type.String({ examples: ['AAPL'] }),
  rows: Type.Integer({ description: 'Stored bars' }),
  first_date: Type.String({ format: 'date' }),
  last_date: Type.String({ format: 'date' }),
  close: { ...Price, description: 'Close of the newest bar' },
  previous_close: Type.Union([Price, Type.Null()], { description: 'Close of the bar before it; null with a single bar' }),
  updated_at: Type.String({ format: 'date-time', description: 'Last insert, update or delete of this ticker\'s bars' }),
  fetched_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When Alpha Vantage last answered with data for it; null if the ETL never fetched it' }),
});

const plugin: FastifyPluginAsync<{ db: Database }> = async (fastify, { db }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/ticker-summaries', {
    schema: {
      summary: 'Every stored ticker with its row count, date range and newest close', tags: ['tickers'],
      querystring: Type.Object({ adjustment: AdjustmentParam }),
      response: { 200: Type.Array(TickerListing), ...problemResponses(422, 503) },
    },
  }, async (request) => (await listTickerSummaries(db, request.query.adjustment)).map((s) => ({
    ...s,
    close: Number(s.close),
    previous_close: s.previous_close === null ? null : Number(s.previous_close),
  })));
};

export default plugin;
