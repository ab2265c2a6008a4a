// /api/v1/tickers: what is stored, per ticker.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/index.ts';
import { getTickerSummary, listTickers } from '../db/market-data.ts';
import { normaliseTicker } from '../model/bar.ts';
import { ProblemError, problemResponses } from './errors.ts';
import { TickerParam } from './schemas.ts';

const Summary = Type.Object({
  ticker: Type.String(),
  first_date: Type.String({ format: 'date' }),
  last_date: Type.String({ format: 'date' }),
  rows: Type.Integer(),
  latest: Type.Ref('MarketData'),
});

const plugin: FastifyPluginAsync<{ db: Database }> = async (fastify, { db }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/tickers', {
    schema: {
      summary: 'Stored tickers, sorted', tags: ['tickers'],
      response: { 200: Type.Array(Type.String(), { examples: [['AAPL', 'MSFT']] }), ...problemResponses(503) },
    },
  }, async () => listTickers(db));

  app.get('/tickers/:ticker', {
    schema: {
      summary: 'Date range, row count and latest bar of one ticker', tags: ['tickers'],
      params: Type.Object({ ticker: TickerParam }),
      response: { 200: Summary, ...problemResponses(404, 422, 503) },
    },
  }, async (request) => {
    const ticker = normaliseTicker(request.params.ticker);
    const summary = await getTickerSummary(db, ticker);
    if (!summary) throw new ProblemError(404, `no data for ticker ${ticker}`);
    return summary;
  });
};

export default plugin;
