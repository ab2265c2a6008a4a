// /api/v1/etl: trigger a run (synchronously, as the original did), read the run history, and the
// pipeline's state (budget left today, next scheduled run).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../config.ts';
import type { Database } from '../db/index.ts';
import { getRun, listRuns, type RunDetail } from '../db/etl-runs.ts';
import type { Etl } from '../etl/index.ts';
import { RunInProgressError } from '../etl/pipeline.ts';
import { untilNextRun } from '../etl/scheduler.ts';
import { ProblemError, problemResponses } from './errors.ts';
import { StringEnum, TICKER_LIST, TICKER_MESSAGE } from './schemas.ts';

const RunStatus = StringEnum(['running', 'completed', 'failed', 'aborted'] as const);
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const RunSummary = Type.Object({
  run_id: Type.Integer(),
  trigger: StringEnum(['schedule', 'api', 'cli'] as const),
  source: Type.String({ description: '`alpha_vantage`, or `csv:<file>` for an import' }),
  status: RunStatus,
  tickers: Type.Array(Type.String()),
  force: Type.Boolean(),
  incremental: Type.Boolean(),
  started_at: Type.String({ format: 'date-time' }),
  finished_at: Nullable(Type.String({ format: 'date-time' })),
  error: Nullable(Type.String()),
  total_tickers: Type.Integer(),
  successful: Type.Integer({ description: 'Tickers that ended `success` or `no_new_data`' }),
  failed: Type.Integer(),
  skipped: Type.Integer(),
  total_loaded: Type.Integer({ description: 'Rows inserted or updated' }),
});

const TickerDetail = Type.Object({
  ticker: Type.String(),
  status: StringEnum(['success', 'skipped', 'no_new_data', 'failed'] as const),
  output_size: Type.Union([StringEnum(['compact', 'full'] as const), Type.Null()]),
  requests: Type.Integer({ description: 'Requests sent to Alpha Vantage, retries included' }),
  extracted: Type.Integer(),
  transformed: Type.Integer(),
  loaded: Type.Integer({ description: 'Rows inserted or updated' }),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  rejected: Type.Integer(),
  rejections: Type.Array(Type.Object({ date: Type.String(), reason: Type.String() }), { description: 'The first rejected rows and why' }),
  reason: Nullable(Type.String()),
  started_at: Type.String({ format: 'date-time' }),
  finished_at: Type.String({ format: 'date-time' }),
});

export const RunDetailSchema = Type.Object({ ...RunSummary.properties, details: Type.Array(TickerDetail) }, { $id: 'EtlRun', title: 'EtlRun' });

const withLoaded = (run: RunDetail) => ({ ...run, details: run.details.map((d) => ({ ...d, loaded: d.inserted + d.updated })) });

const Tickers = Type.Array(
  Type.String({ pattern: TICKER_LIST, maxLength: 2000, 'x-message': `must be tickers (${TICKER_MESSAGE}), comma-separated` }),
  { maxItems: 500, description: 'Tickers to run (repeat or comma-separate); default DEFAULT_TICKERS' },
);

const plugin: FastifyPluginAsync<{ db: Database; config: Config; etl: Etl }> = async (fastify, { db, config, etl }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/etl/run', {
    schema: {
      summary: 'Run the ETL now and wait for it', tags: ['etl'],
      querystring: Type.Object({
        tickers: Type.Optional(Tickers),
        force: Type.Boolean({ default: false, description: 'Full history, even for tickers that look up to date' }),
        incremental: Type.Boolean({ default: true, description: 'false: full history for every ticker' }),
      }),
      response: { 200: Type.Ref('EtlRun'), ...problemResponses(401, 409, 422, 503) },
    },
  }, async (request) => {
    const q = request.query;
    const tickers = q.tickers ? q.tickers.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean) : config.etl.defaultTickers;
    try {
      return withLoaded(await etl.runner.run({ tickers, trigger: 'api', force: q.force, incremental: q.incremental }));
    } catch (err) {
      if (err instanceof RunInProgressError) throw new ProblemError(409, 'an ETL run is in progress; try again when it has finished');
      throw err;
    }
  });

  app.get('/etl/runs', {
    schema: {
      summary: 'ETL runs, newest first', tags: ['etl'],
      querystring: Type.Object({
        page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
        size: Type.Integer({ minimum: 1, maximum: config.maxPageSize, default: Math.min(20, config.maxPageSize) }),
      }),
      response: {
        200: Type.Object({ items: Type.Array(RunSummary), total: Type.Integer(), page: Type.Integer(), size: Type.Integer(), pages: Type.Integer() }),
        ...problemResponses(422, 503),
      },
    },
  }, async (request) => {
    const { page, size } = request.query;
    const { total, rows } = await listRuns(db, page, size);
    return { items: rows, total, page, size, pages: Math.ceil(total / size) };
  });

  app.get('/etl/runs/:run_id', {
    schema: {
      summary: 'One ETL run with its per-ticker results', tags: ['etl'],
      params: Type.Object({ run_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
      response: { 200: Type.Ref('EtlRun'), ...problemResponses(404, 422, 503) },
    },
  }, async (request) => {
    const run = await getRun(db, request.params.run_id);
    if (!run) throw new ProblemError(404, `etl run ${request.params.run_id} not found`);
    return withLoaded(run);
  });

  app.get('/etl/status', {
    schema: {
      summary: "The pipeline's state: a run in progress, today's budget, the next scheduled run", tags: ['etl'],
      response: {
        200: Type.Object({
          running: Type.Boolean({ description: 'A run is in progress (in any process on this database)' }),
          current_run_id: Type.Union([Type.Integer(), Type.Null()]),
          schedule: Type.Object({
            enabled: Type.Boolean(),
            interval_minutes: Type.Number(),
            next_run_at: Nullable(Type.String({ format: 'date-time' })),
            tickers: Type.Array(Type.String()),
          }),
          budget: Type.Object({
            requests_per_day: Type.Integer(),
            requests_per_minute: Type.Integer(),
            remaining_today: Type.Integer({ description: 'Requests left today (New York day)' }),
          }),
        }),
        ...problemResponses(503),
      },
    },
  }, async () => {
    const { rows } = await db.query<{ id: number }>(`SELECT id FROM etl_runs WHERE status = 'running' ORDER BY id DESC LIMIT 1`);
    const current = rows[0]?.id ?? null;
    return {
    running: etl.runner.running || current !== null,
    current_run_id: current,
    schedule: {
      enabled: config.etl.enabled,
      interval_minutes: config.etl.intervalMinutes,
      next_run_at: config.etl.enabled ? (await untilNextRun(db)).at : null,
      tickers: config.etl.defaultTickers,
    },
    budget: {
      requests_per_day: config.alphaVantage.requestsPerDay,
      requests_per_minute: config.alphaVantage.requestsPerMinute,
      remaining_today: await etl.limiter.remainingToday(),
    },
    };
  });
};

export default plugin;
