// /api/v1/etl: trigger a run (synchronously as the original did, or `Prefer: respond-async`), read
// the run history and a run's progress, plan a run without spending anything, and the pipeline's
// state (budget left today, next scheduled run, what the key is entitled to).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../config.ts';
import type { Database } from '../../db/index.ts';
import { listEntitlements } from '../../db/repositories/entitlements.ts';
import { getRun, listRuns, runningRunId, type RunDetail } from '../../db/repositories/etl-runs.ts';
import type { Etl } from '../../etl/index.ts';
import { RunInProgressError } from '../../etl/runner.ts';
import { untilNextRun } from '../../etl/scheduler.ts';
import { DATASETS, type Dataset } from '../../sources/source.ts';
import { ProblemError, problemResponses } from '../plugins/errors.ts';
import { StringEnum, TickerListParam } from '../schemas.ts';

const RunStatus = StringEnum(['running', 'completed', 'failed', 'aborted'] as const);
const TickerStatus = StringEnum(['success', 'skipped', 'no_new_data', 'failed', 'deferred'] as const);
const DatasetName = StringEnum(DATASETS);
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
  deferred: Type.Integer({ description: "Tickers with due work that did not fit the day's request budget; the next New York day's runs pick it up" }),
  total_loaded: Type.Integer({ description: 'Rows inserted or updated' }),
});

const DatasetDetail = Type.Object({
  dataset: DatasetName,
  variant: Nullable(Type.String({ description: 'What was asked for: `full` or `compact` (daily), …' })),
  status: TickerStatus,
  requests: Type.Integer(),
  extracted: Type.Integer(),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  rejected: Type.Integer(),
  reason: Nullable(Type.String()),
});

const TickerDetail = Type.Object({
  ticker: Type.String(),
  status: TickerStatus,
  output_size: Type.Union([StringEnum(['compact', 'full'] as const), Type.Null()], { description: 'The daily history asked for' }),
  requests: Type.Integer({ description: 'Requests sent to the source, retries included' }),
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
  datasets: Type.Array(DatasetDetail, { description: 'Each dataset of the ticker: counts are bars, splits or dividends' }),
});

export const RunDetailSchema = Type.Object({
  ...RunSummary.properties,
  progress: Type.Object({
    done: Type.Integer({ description: 'Work items (a dataset of a ticker) finished' }),
    total: Type.Integer({ description: 'Work items planned' }),
  }),
  details: Type.Array(TickerDetail),
}, { $id: 'EtlRun', title: 'EtlRun' });

const Plan = Type.Object({
  budget: Type.Union([Type.Object({ per_day: Type.Integer(), used_today: Type.Integer(), remaining_today: Type.Integer() }), Type.Null()]),
  requests: Type.Integer({ description: 'Requests the due work needs at most' }),
  days_needed: Type.Union([Type.Integer(), Type.Null()], {
    description: 'New York days until it is done at the budget\'s pace, today included (an estimate: each weekday also needs a daily request per ticker); null if never',
  }),
  tickers: Type.Array(Type.Object({
    ticker: Type.String(),
    requests: Type.Integer(),
    datasets: Type.Array(Type.Object({ dataset: DatasetName, requests: Type.Integer(), reason: Type.String() })),
  })),
});

const withLoaded = (run: RunDetail) => ({ ...run, details: run.details.map((d) => ({ ...d, loaded: d.inserted + d.updated })) });

const Tickers = TickerListParam('Tickers to run (repeat or comma-separate); default DEFAULT_TICKERS', { maxItems: 500, maxLength: 2000 });
const Datasets = Type.Array(
  Type.String({ pattern: `^\\s*(${DATASETS.join('|')})\\s*(,\\s*(${DATASETS.join('|')})\\s*)*$`, 'x-message': `must be some of ${DATASETS.join(', ')}, comma-separated` }),
  { maxItems: 10, description: 'Datasets to fetch when due (repeat or comma-separate); default ETL_DATASETS' },
);
const RunQuery = Type.Object({
  tickers: Type.Optional(Tickers),
  datasets: Type.Optional(Datasets),
  force: Type.Boolean({ default: false, description: 'Fetch every dataset again, the daily one with its whole history' }),
  incremental: Type.Boolean({ default: true, description: 'false: the whole daily history for every ticker' }),
});

const list = (values: string[] | undefined) => values?.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
/** `Prefer: respond-async` (RFC 7240), alone or among other preferences. */
const wantsAsync = (prefer: string | string[] | undefined) => [prefer].flat().some((p) => p !== undefined && /(^|,)\s*respond-async\s*(;|,|$)/i.test(p));
const runLocation = (id: number) => `/api/v1/etl/runs/${id}`;

const plugin: FastifyPluginAsync<{ db: Database; config: Config; etl: Etl }> = async (fastify, { db, config, etl }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const requestOf = (q: { tickers?: string[]; datasets?: string[]; force: boolean; incremental: boolean }) => ({
    tickers: list(q.tickers) ?? config.etl.defaultTickers,
    datasets: list(q.datasets) as Dataset[] | undefined,
    force: q.force, incremental: q.incremental,
  });

  app.post('/etl/run', {
    schema: {
      summary: 'Run the ETL now: wait for it, or with `Prefer: respond-async` answer 202 at once', tags: ['etl'],
      description: 'Without a preference the answer is the finished run (a run can take minutes). With `Prefer: respond-async` the run is started and the answer is 202 with `Location: /api/v1/etl/runs/{id}`, where its progress shows.',
      headers: Type.Object({ prefer: Type.Optional(Type.String({ description: '`respond-async`: answer 202 at once' })) }),
      querystring: RunQuery,
      response: {
        200: Type.Ref('EtlRun'),
        202: Type.Object({ run_id: Type.Integer(), status: StringEnum(['running'] as const) }),
        ...problemResponses(401, 409, 422, 503),
      },
    },
  }, async (request, reply) => {
    try {
      const started = await etl.runner.start({ ...requestOf(request.query), trigger: 'api' });
      if (wantsAsync(request.headers.prefer)) {
        started.done.catch(() => {}); // the runner logs and records its own failure
        return reply.code(202).headers({ location: runLocation(started.runId), 'preference-applied': 'respond-async' }).send({ run_id: started.runId, status: 'running' });
      }
      return withLoaded(await started.done);
    } catch (err) {
      if (err instanceof RunInProgressError) {
        const id = err.runId ?? await runningRunId(db, etl.source.name);
        throw new ProblemError(409, `an ETL run is in progress${id ? ` (run ${id})` : ''}; try again when it has finished`, undefined,
          id ? { location: runLocation(id) } : {}, id ? { run_id: id } : {});
      }
      throw err;
    }
  });

  app.get('/etl/plan', {
    schema: {
      summary: 'What a run would fetch now, what it costs in requests, and how many days the budget needs', tags: ['etl'],
      querystring: Type.Omit(RunQuery, ['force', 'incremental']),
      response: { 200: Plan, ...problemResponses(422, 503) },
    },
  }, async (request) => {
    const q = request.query;
    const plan = await etl.runner.plan(list(q.tickers) ?? config.etl.defaultTickers, { datasets: list(q.datasets) as Dataset[] | undefined });
    return { budget: plan.budget ?? null, requests: plan.requests, days_needed: plan.days_needed, tickers: plan.tickers };
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
      summary: 'One ETL run with its progress and per-ticker results (so far, while it runs)', tags: ['etl'],
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
      summary: "The pipeline's state: a run in progress, today's budget, the next scheduled run, what the key may fetch", tags: ['etl'],
      response: {
        200: Type.Object({
          running: Type.Boolean({ description: 'A run is in progress (in any process on this database)' }),
          current_run_id: Type.Union([Type.Integer(), Type.Null()]),
          schedule: Type.Object({
            enabled: Type.Boolean(),
            interval_minutes: Type.Number(),
            next_run_at: Nullable(Type.String({ format: 'date-time' })),
            tickers: Type.Array(Type.String()),
            datasets: Type.Array(DatasetName),
          }),
          budget: Type.Object({
            requests_per_day: Type.Integer(),
            requests_per_minute: Type.Integer(),
            remaining_today: Type.Integer({ description: 'Requests left today (New York day)' }),
          }),
          entitlements: Type.Array(Type.Object({
            dataset: DatasetName,
            variant: Type.String({ description: '`full` (whole history) or `compact` (the newest 100) for daily bars' }),
            status: StringEnum(['allowed', 'refused', 'unknown'] as const, { description: "Learned from the source's answers to this key; `unknown` until asked" }),
            checked_at: Nullable(Type.String({ format: 'date-time' })),
            reason: Nullable(Type.String({ description: 'The refusal, as the source worded it' })),
          }), { description: 'What the configured key may fetch, per dataset and variant' }),
        }),
        ...problemResponses(503),
      },
    },
  }, async () => {
    const { source } = etl;
    const [current, next, remaining, known] = await Promise.all([
      runningRunId(db, source.name),
      config.etl.enabled ? untilNextRun(db) : undefined,
      etl.limiter.remainingToday(),
      listEntitlements(db, source.name, source.account),
    ]);
    const byName = new Map(known.map((e) => [e.entitlement, e]));
    return {
      running: etl.runner.running || current !== undefined,
      current_run_id: current ?? null,
      schedule: {
        enabled: config.etl.enabled,
        interval_minutes: config.etl.intervalMinutes,
        next_run_at: next?.at ?? null,
        tickers: config.etl.defaultTickers,
        datasets: config.etl.datasets,
      },
      budget: {
        requests_per_day: config.alphaVantage.requestsPerDay,
        requests_per_minute: config.alphaVantage.requestsPerMinute,
        remaining_today: remaining,
      },
      entitlements: source.offers.flatMap((o) => o.variants.map((v) => {
        const e = v.entitlement ? byName.get(v.entitlement) : undefined;
        const status: 'allowed' | 'refused' | 'unknown' = v.entitlement ? e?.status ?? 'unknown' : 'allowed';
        return { dataset: o.dataset, variant: v.name, status, checked_at: e?.checked_at ?? null, reason: e?.reason ?? null };
      })),
    };
  });
};

export default plugin;
