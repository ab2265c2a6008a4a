// /api/v1/tickers: what is stored, per ticker.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../../db/index.ts';
import { getCorporateActions } from '../../db/repositories/corporate-actions.ts';
import { getTickerSummary, listTickers } from '../../db/repositories/market-data.ts';
import { normaliseTicker } from '../../model/bar.ts';
import { ProblemError, problemResponses } from '../plugins/errors.ts';
import { AdjustmentParam, TickerParam } from '../schemas.ts';

const Summary = Type.Object({
  ticker: Type.String(),
  first_date: Type.String({ format: 'date' }),
  last_date: Type.String({ format: 'date' }),
  rows: Type.Integer(),
  latest: Type.Ref('MarketData'),
});

// Stored NUMERIC, read as exact decimal text, printed as a JSON number (at most 15 significant digits: exact).
const ExactDecimal = (description: string) => Type.Unsafe<string>({ type: 'number', description: `${description}: the exact stored decimal` });
const NullableDate = (description: string) => Type.Union([Type.String({ format: 'date' }), Type.Null()], { description });

const CorporateActions = Type.Object({
  ticker: Type.String(),
  splits: Type.Array(Type.Object({
    ex_date: Type.String({ format: 'date' }),
    factor: ExactDecimal('New shares per old share (4 = 4-for-1, 0.5 = 1-for-2)'),
  })),
  dividends: Type.Array(Type.Object({
    ex_date: Type.String({ format: 'date' }),
    declaration_date: NullableDate('null where the source does not know it'),
    record_date: NullableDate('null where the source does not know it'),
    payment_date: NullableDate('null where the source does not know it'),
    amount: ExactDecimal('Per share, in the price currency'),
  })),
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
      querystring: Type.Object({ adjustment: AdjustmentParam }),
      response: { 200: Summary, ...problemResponses(404, 422, 503) },
    },
  }, async (request, reply) => {
    const ticker = normaliseTicker(request.params.ticker);
    const s = await getTickerSummary(db, ticker, request.query.adjustment);
    if (!s) throw new ProblemError(404, `no data for ticker ${ticker}`);
    // The latest bar arrives as JSON text made by the database (record-json.ts).
    return (reply as FastifyReply).type('application/json; charset=utf-8')
      .send(`{"ticker":"${s.ticker}","first_date":"${s.first_date}","last_date":"${s.last_date}","rows":${s.rows},"latest":${s.latest}}`);
  });

  app.get('/tickers/:ticker/corporate-actions', {
    schema: {
      summary: "A ticker's splits and dividends, ascending by ex-date, as the source lists them", tags: ['tickers'],
      params: Type.Object({ ticker: TickerParam }),
      response: { 200: CorporateActions, ...problemResponses(404, 422, 503) },
    },
  }, async (request) => {
    const ticker = normaliseTicker(request.params.ticker);
    const actions = await getCorporateActions(db, ticker);
    if (!actions) throw new ProblemError(404, `no data for ticker ${ticker}`);
    return { ticker, ...actions };
  });
};

export default plugin;
