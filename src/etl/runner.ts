// One ETL run of a source: plan (planner.ts), then each work item — a dataset of a ticker — in the
// plan's order through the source's rate limiter; each ticker's result recorded as its datasets
// finish, so a run in progress shows how far it got. One ticker's failure never stops the others.
// A spent budget (ours, or the source's own quota) defers what is left to the next New York day;
// invalid credentials stop the run. The runner knows sources only through sources/source.ts.
import pRetry from 'p-retry';
import { replaceDividends, replaceSplits } from '../db/repositories/corporate-actions.ts';
import { foldCounts } from '../db/repositories/counts.ts';
import { foldDerivedBars } from '../db/repositories/derived-bars.ts';
import { profileOf } from '../db/driver/profile.ts';
import type { Database } from '../db/driver/database.ts';
import { listEntitlements, recordEntitlement } from '../db/repositories/entitlements.ts';
import {
  abortStaleRuns, createRun, finishRun, getRun, recordTickerResult, releaseRunLock, runningRunId, tryRunLock,
  type DatasetResult, type RunDetail, type TickerResult, type TickerStatus, type Trigger,
} from '../db/repositories/etl-runs.ts';
import { upsertPeriodBars } from '../db/repositories/period-bars.ts';
import { missingSessions } from '../db/repositories/quality.ts';
import { markFetched, tickerStates } from '../db/repositories/ticker-datasets.ts';
import type { Logger } from '../logger.ts';
import { recordEtlRun, recordEtlTicker, recordSourceRequest } from '../metrics.ts';
import { normaliseTicker } from '../model/bar.ts';
import { sessionsBack } from '../model/calendar.ts';
import type { Dataset, FetchResult, SourceData, SourceFailure, Source, Variant } from '../sources/source.ts';
import { addDays, latestPublishedSession, newYork } from './freshness.ts';
import { loadBars } from './load.ts';
import { plan, type Plan, type PlanOptions, type WorkItem } from './planner.ts';
import { BudgetExhaustedError, RateLimiter, systemClock, type Clock } from './rate-limiter.ts';
import { transform, transformDividends, transformPeriods, transformSplits, type Transformed } from './transform.ts';

export class RunInProgressError extends Error {
  constructor(readonly runId?: number) {
    super(`an ETL run is already in progress${runId ? ` (run ${runId})` : ''}`);
    this.name = 'RunInProgressError';
  }
}

interface RunRequest {
  tickers: string[];
  trigger: Trigger;
  /** Fetch every dataset again, the daily one with its whole history. */
  force?: boolean;
  /** false: the whole daily history for every ticker. */
  incremental?: boolean;
  /** Only these datasets (default: all the source offers). */
  datasets?: Dataset[];
  /** Default: the runner's source. */
  source?: Source;
  /** Aborting stops the run cleanly: the current item is abandoned, the rest skipped. */
  signal?: AbortSignal;
  /** A ticker whose last dataset is done. */
  onTicker?: (result: TickerResult) => void;
  onProgress?: (progress: Progress) => void;
}

export interface Progress { done: number; total: number; requests: number; ticker?: string; dataset?: Dataset }

export interface RetryPolicy {
  /** Retries after the first attempt of a transient failure (network, timeout, 5xx). */
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  /**
   * Longest wait for a rate limit, waited out once per ticker (the source says how long: a minute
   * for a per-minute note). With it, no ticker holds a run much longer than a minute on limits.
   */
  rateLimitWaitMaxMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { retries: 3, minDelayMs: 2000, maxDelayMs: 30_000, rateLimitWaitMaxMs: 65_000 };

interface RunnerDeps {
  db: Database;
  logger: Logger;
  /** The source a run uses unless the request names another. */
  source: Source;
  redact: (text: string) => string;
  clock?: Clock;
  retry?: RetryPolicy;
  /** `datasets`: what a run fetches unless the request says (default: all the source offers). */
  settings: Pick<PlanOptions, 'recheckDays' | 'actionsRefreshDays' | 'datasets'>;
}

interface StartedRun { runId: number; done: Promise<RunDetail> }

type Result = Omit<TickerResult, 'finished_at'>;
interface Ticker {
  position: number;
  /** The datasets planned for this run, and how many of them are finished. */
  due: Set<Dataset>;
  finished: number;
  result: Result;
  /** A rate limit was waited out once for this ticker: the next one fails it at once. */
  rateLimited: boolean;
  /** Why the ticker's remaining datasets are not asked for. */
  skip?: string;
  /** Its first item has started (started_at is then). */
  begun?: boolean;
}
interface RunState { runId: number; learned: Map<string, 'allowed' | 'refused'>; defer?: string; stop?: string; error?: string; requests: number; done: number }

const ZERO = { extracted: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 };
const emptyDataset = (dataset: Dataset, status: TickerStatus, reason: string | null): DatasetResult =>
  ({ dataset, variant: null, status, requests: 0, ...ZERO, reason });

class TransientFailure extends Error {
  constructor(readonly failure: SourceFailure) {
    super(failure.reason);
  }
}

export class EtlRunner {
  private current: Promise<unknown> | undefined;
  private currentId: number | undefined;
  /** Aborted by stop(): ends whichever run is going, however it was triggered. */
  private readonly stopping = new AbortController();
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;
  private readonly limiters = new Map<string, RateLimiter>();

  constructor(private readonly deps: RunnerDeps) {
    this.clock = deps.clock ?? systemClock;
    this.retry = deps.retry ?? DEFAULT_RETRY;
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  get source(): Source {
    return this.deps.source;
  }

  /** The one rate limiter of a source in this process (undefined: its requests cost nothing). */
  limiterFor(source: Source): RateLimiter | undefined {
    if (!source.limits) return undefined;
    let limiter = this.limiters.get(source.name);
    if (!limiter) {
      const { perDay, perMinute, minSpacingMs } = source.limits;
      limiter = new RateLimiter({ db: this.deps.db, source: source.name, perDay, perMinute, minSpacingMs, clock: this.clock });
      this.limiters.set(source.name, limiter);
    }
    return limiter;
  }

  /** What a run of these tickers would do now, and what it would cost. */
  async plan(tickers: string[], options: Pick<RunRequest, 'force' | 'incremental' | 'datasets' | 'source'> = {}): Promise<Plan> {
    const source = options.source ?? this.deps.source;
    const { db, settings } = this.deps;
    const unique = [...new Set(tickers.map(normaliseTicker))];
    const limiter = this.limiterFor(source);
    const now = new Date(this.clock.now());
    // Gaps a bounded request can refill lie within the newest rows of the smallest daily variant
    // (two rows of margin: today's partial bar, and the session being published).
    const bounded = source.offers.find((o) => o.dataset === 'daily')?.variants.flatMap((v) => (v.history === 'all' ? [] : [v.history])) ?? [];
    const [states, entitlements, remaining, missing] = await Promise.all([
      tickerStates(db, source.name, unique),
      listEntitlements(db, source.name, source.account),
      limiter?.remainingToday(),
      bounded.length ? missingSessions(db, unique, sessionsBack(latestPublishedSession(now), Math.min(...bounded) - 3)) : new Map<string, never>(),
    ]);
    for (const [ticker, gaps] of missing) {
      const state = states.get(ticker);
      if (state) state.missing = gaps;
    }
    return plan({
      tickers: unique, offers: source.offers, states, entitlements,
      budget: limiter ? { perDay: limiter.perDay, usedToday: limiter.perDay - remaining! } : undefined,
      now,
      options: { ...settings, force: options.force, fullDaily: options.incremental === false, datasets: options.datasets ?? settings.datasets },
    });
  }

  /**
   * Starts a run: resolves once it is recorded (with its id), while the run goes on; `done`
   * resolves with the finished run. RunInProgressError if one is going.
   */
  start(given: RunRequest): Promise<StartedRun> {
    if (this.current) return Promise.reject(new RunInProgressError(this.currentId));
    if (this.stopping.signal.aborted) return Promise.reject(new Error('the ETL is stopped'));
    const signal = given.signal ? AbortSignal.any([given.signal, this.stopping.signal]) : this.stopping.signal;
    const request = { ...given, signal };
    const source = given.source ?? this.deps.source;
    let announce!: (runId: number) => void;
    const started = new Promise<number>((resolve) => { announce = resolve; });
    const done = this.deps.db.withSession(async (session) => {
      // One run per source across every process on the database.
      if (!await tryRunLock(session, source.name)) throw new RunInProgressError(await runningRunId(this.deps.db, source.name));
      try {
        return await this.execute(request, source, (id) => { this.currentId = id; announce(id); });
      } finally {
        await releaseRunLock(session, source.name);
      }
    });
    const current = done.then(() => {}, () => {}).finally(() => {
      if (this.current === current) {
        this.current = undefined;
        this.currentId = undefined;
      }
    });
    this.current = current;
    return Promise.race([started, done.then((run) => run.run_id)]).then((runId) => ({ runId, done }));
  }

  /** Runs to the end and returns the run with its details. */
  async run(request: RunRequest): Promise<RunDetail> {
    return (await this.start(request)).done;
  }

  /** Refuses new runs, abandons the current one cleanly (see RunRequest.signal) and waits for it. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the service is stopping'));
    await this.current;
  }

  private async execute(request: RunRequest, source: Source, announce: (runId: number) => void): Promise<RunDetail> {
    const { db } = this.deps;
    const signal = request.signal!;
    const tickers = [...new Set(request.tickers.map(normaliseTicker))];
    const stale = await abortStaleRuns(db, source.name); // we hold the run lock: any "running" run is dead
    const planned = await this.plan(tickers, { ...request, source });
    const incremental = request.incremental !== false;
    const runId = await createRun(db, { trigger: request.trigger, tickers, force: !!request.force, incremental, source: source.name, workTotal: planned.items.length });
    announce(runId);
    const log = this.deps.logger.child({ run_id: runId });
    log.info({ trigger: request.trigger, source: source.name, tickers, force: !!request.force, incremental, datasets: request.datasets, planned_requests: planned.requests, stale_runs_closed: stale }, 'etl run started');
    const state: RunState = { runId, learned: new Map(), requests: 0, done: 0 };
    const byTicker = new Map<string, Ticker>();
    const now = new Date(this.clock.now()).toISOString();
    for (const [position, t] of planned.tickers.entries()) {
      const due = new Set(planned.items.filter((i) => i.ticker === t.ticker).map((i) => i.dataset));
      // Datasets not due are final now; due ones read "pending" until they finish.
      const datasets = t.datasets.map((d) => emptyDataset(d.dataset, due.has(d.dataset) ? 'skipped' : d.reason.startsWith('refused') ? 'skipped' : 'no_new_data', due.has(d.dataset) ? 'pending' : d.reason));
      byTicker.set(t.ticker, {
        position, due, finished: 0, rateLimited: false,
        result: {
          ticker: t.ticker, status: 'no_new_data', output_size: null, requests: 0, transformed: 0, ...ZERO,
          rejections: [], reason: null, fetched_at: null, started_at: now, datasets,
        },
      });
    }

    // Items are fetched one after another (the limiter serialises them anyway) and loaded in the
    // background, at most `loadsAtOnce` at a time; results are recorded in plan order.
    const loadsAtOnce = profileOf(db).loadsAtOnce;
    const inFlight: Promise<void>[] = [];
    let recorder = Promise.resolve();
    const record = (item: WorkItem, outcome: Promise<DatasetResult & { fetchedAt?: string; rejections?: TickerResult['rejections'] }>) => {
      const next = recorder.then(async () => this.finishItem(state, byTicker.get(item.ticker)!, item, await outcome, planned.items.length, request, log));
      recorder = next;
      return next;
    };
    try {
      // Tickers with nothing due are done at once.
      for (const t of byTicker.values()) if (t.due.size === 0) await this.recordTicker(state, t, 0, request, log, true);
      for (const item of planned.items) {
        const ticker = byTicker.get(item.ticker)!;
        const skip = signal.aborted ? 'skipped: the service is stopping' : state.stop ?? ticker.skip;
        if (state.defer || skip) {
          await record(item, Promise.resolve(emptyDataset(item.dataset, state.defer ? 'deferred' : 'skipped', state.defer ?? skip!)));
          continue;
        }
        if (!ticker.begun) {
          ticker.begun = true;
          ticker.result.started_at = new Date(this.clock.now()).toISOString();
        }
        const fetched = await this.fetchItem(item, source, state, ticker, signal, log);
        if ('failure' in fetched) {
          await record(item, Promise.resolve(fetched.failure));
          continue;
        }
        inFlight.push(record(item, this.loadItem(item, source, fetched, signal, log)));
        while (inFlight.length >= loadsAtOnce) await inFlight.shift();
      }
      await Promise.all(inFlight);
      await recorder;
      const status = signal.aborted ? 'aborted' : state.error ? 'failed' : 'completed';
      await finishRun(db, runId, status, state.error ?? (status === 'aborted' ? 'stopped: the service is shutting down' : undefined));
    } catch (err) {
      await Promise.all(inFlight.map((p) => p.catch(() => {})));
      // The database itself failed mid-run; record it now, or once the database is back.
      const message = this.deps.redact((err as Error).message);
      log.error({ err: message }, 'etl run failed');
      await finishRun(db, runId, 'failed', `database error: ${message}`).catch(() => this.finishWhenBack(runId, `database error: ${message}`, log));
      recordEtlRun(request.trigger, 'failed');
      throw err;
    }
    // Fold the run's count deltas and derived bars now (the service also does it every 2 s).
    await foldCounts(db).catch(() => {});
    await foldDerivedBars(db).catch(() => {});
    const run = (await getRun(db, runId))!;
    recordEtlRun(request.trigger, run.status, run.started_at);
    log.info({ status: run.status, successful: run.successful, failed: run.failed, skipped: run.skipped, deferred: run.deferred, total_loaded: run.total_loaded, requests: state.requests }, 'etl run finished');
    return run;
  }

  /**
   * Fetches an item: through the limiter, retrying what may pass, and on a refused variant
   * learning it and falling back to the next (`fallback`) in the same run.
   */
  private async fetchItem(item: WorkItem, source: Source, state: RunState, ticker: Ticker, signal: AbortSignal, log: Logger):
    Promise<{ data: SourceData; variant: Variant; requests: number; fetchedAt: string } | { failure: DatasetResult }> {
    let variant = item.variant;
    const refused = (v: Variant) => v.entitlement !== undefined && state.learned.get(v.entitlement) === 'refused';
    if (refused(variant) && item.fallback) variant = item.fallback;
    // Counted as they are sent, so a request the budget or a shutdown cut short is still recorded.
    const spent = { requests: 0 };
    const fail = (status: TickerStatus, reason: string): { failure: DatasetResult } =>
      ({ failure: { ...emptyDataset(item.dataset, status, reason), variant: variant.name, requests: spent.requests } });
    for (;;) {
      if (refused(variant)) return fail('skipped', `refused for this key: ${variant.name}`);
      let result: FetchResult;
      try {
        result = await this.request(source, item, variant, ticker, signal, spent);
      } catch (err) {
        if (err instanceof BudgetExhaustedError) {
          state.defer = this.deferral(err.message);
          return fail('deferred', state.defer);
        }
        if (signal.aborted) {
          state.stop = 'skipped: the service is stopping';
          return fail('skipped', 'abandoned: the service is stopping');
        }
        throw err;
      }
      if (result.ok) {
        await this.learn(source, variant, 'allowed', null, state);
        return { data: result, variant, requests: spent.requests, fetchedAt: new Date(this.clock.now()).toISOString() };
      }
      switch (result.effect) {
        case 'refused':
          await this.learn(source, variant, 'refused', result.reason, state);
          if (item.fallback && variant !== item.fallback) {
            log.info({ ticker: item.ticker, dataset: item.dataset, refused: variant.name, fallback: item.fallback.name }, 'variant refused for this key; falling back');
            variant = item.fallback;
            continue;
          }
          return fail('skipped', `refused for this key: ${result.reason}`);
        case 'quota':
          state.defer = this.deferral(result.reason);
          return fail('deferred', state.defer);
        case 'credentials':
          state.stop = 'skipped: the run stopped because the source rejected the credentials';
          state.error = `${source.name} rejected the credentials: ${result.reason}`;
          log.error(result.reason);
          return fail('failed', result.reason);
        case 'not_found':
          ticker.skip = `skipped: ${item.dataset} failed (${result.reason})`;
          return fail('failed', result.reason);
        case 'rate_limited':
          ticker.skip = `skipped: ${item.dataset} hit a rate limit`;
          return fail('failed', result.reason);
        default:
          return fail('failed', result.reason);
      }
    }
  }

  /**
   * One dataset request with its retries: a transient failure is retried with backoff; a rate
   * limit is waited out once per ticker (the source says how long, at most rateLimitWaitMaxMs)
   * and every request of the source waits with it. Rejects with BudgetExhaustedError when the
   * budget is spent, or with the signal's reason.
   */
  private async request(source: Source, item: WorkItem, variant: Variant, ticker: Ticker, signal: AbortSignal, spent: { requests: number }): Promise<FetchResult> {
    const limiter = this.limiterFor(source);
    let requests = 0;
    let transient = 0;
    let waited = '';
    // A failure that asking again did not cure says how hard it was tried.
    const final = (result: FetchResult): FetchResult =>
      result.ok || requests < 2 || (result.effect !== 'transient' && result.effect !== 'rate_limited') ? result
        : { ...result, reason: `${result.reason}${waited} (gave up after ${requests} attempts)` };
    try {
      const result = await pRetry(async () => {
        await limiter?.acquire(signal);
        requests += variant.requests; // a local file costs none
        spent.requests += variant.requests;
        const result = await source.fetch({ ticker: item.ticker, dataset: item.dataset, variant }, signal);
        recordSourceRequest(source.name, result.ok ? 'data' : result.effect);
        if (!result.ok && result.effect === 'transient' && transient++ < this.retry.retries) throw new TransientFailure(result);
        if (!result.ok && result.effect === 'rate_limited' && !ticker.rateLimited) {
          ticker.rateLimited = true;
          const wait = Math.min(result.retryAfterMs ?? 1000, this.retry.rateLimitWaitMaxMs);
          if (limiter) limiter.pause(wait);
          else await this.clock.sleep(wait, signal);
          waited = ` (waited ${(wait / 1000).toFixed(wait < 10_000 ? 1 : 0)} s once)`;
          throw new TransientFailure(result);
        }
        return result;
      }, {
        retries: this.retry.retries + 1, // transient retries, and the one retry after a rate limit
        minTimeout: this.retry.minDelayMs,
        maxTimeout: this.retry.maxDelayMs,
        factor: 2,
        randomize: true, // jitter: replicas and retries do not fall into step
        signal,
        shouldRetry: ({ error }) => error instanceof TransientFailure,
      });
      return final(result);
    } catch (err) {
      if (err instanceof TransientFailure) return final(err.failure);
      throw err;
    }
  }

  private deferral(why: string): string {
    const tomorrow = addDays(newYork(new Date(this.clock.now())).date, 1);
    return `deferred: ${why}; due again from ${tomorrow} (New York)`;
  }

  private async learn(source: Source, variant: Variant, status: 'allowed' | 'refused', reason: string | null, state: RunState): Promise<void> {
    if (!variant.entitlement || state.learned.get(variant.entitlement) === status) return;
    state.learned.set(variant.entitlement, status);
    await recordEntitlement(this.deps.db, source.name, source.account, variant.entitlement, status, reason, new Date(this.clock.now()).toISOString());
  }

  /** Checks and stores a fetched dataset whole or not at all. */
  private async loadItem(item: WorkItem, source: Source, fetched: { data: SourceData; variant: Variant; requests: number; fetchedAt: string }, signal: AbortSignal, log: Logger):
    Promise<DatasetResult & { fetchedAt?: string; rejections?: TickerResult['rejections'] }> {
    const { db } = this.deps;
    const { data, variant, requests, fetchedAt } = fetched;
    const now = new Date(this.clock.now());
    const base = { dataset: item.dataset, variant: variant.name, requests, extracted: data.rows.length };
    try {
      let checked: Transformed<unknown>;
      let counts = { inserted: 0, updated: 0, unchanged: 0 };
      let note: string | null = null;
      if (data.kind === 'bars') {
        if (item.dataset === 'daily') {
          const bars = transform(item.ticker, data.rows, { now, duplicates: data.duplicates });
          checked = bars;
          if (bars.rows.length) {
            counts = await loadBars(db, bars.rows, { signal, onBatch: (done) => log.debug({ ticker: item.ticker, done, of: bars.rows.length }, 'batch loaded') });
          }
        } else {
          const bars = transformPeriods(item.ticker, item.dataset === 'weekly' ? '1w' : '1mo', data.rows, { now, duplicates: data.duplicates });
          checked = bars;
          counts = await upsertPeriodBars(db, item.dataset === 'weekly' ? '1w' : '1mo', bars.rows);
        }
      } else if (data.kind === 'splits') {
        const splits = transformSplits(data.rows, now);
        checked = splits;
        // An empty list never erases what is stored: a glitch must not undo a ticker's adjustments.
        if (splits.rows.length) counts = await replaceSplits(db, item.ticker, splits.rows);
        else note = 'none listed';
      } else {
        const dividends = transformDividends(data.rows, now);
        checked = dividends;
        if (dividends.rows.length) counts = await replaceDividends(db, item.ticker, dividends.rows);
        else note = 'none listed';
      }
      await markFetched(db, source.name, item.ticker, item.dataset, fetchedAt);
      const changed = counts.inserted + counts.updated;
      if (data.rows.length > 0 && checked.rows.length === 0) note = 'every row was rejected';
      const rejections = checked.rejections.map((r) => (item.dataset === 'daily' ? r : { ...r, reason: `${item.dataset}: ${r.reason}` }));
      return {
        ...base, ...counts, rejected: checked.rejected, rejections, fetchedAt: item.dataset === 'daily' ? fetchedAt : undefined,
        status: changed > 0 ? 'success' : note === 'every row was rejected' ? 'failed' : 'no_new_data',
        reason: note === 'every row was rejected' ? note : checked.rejected ? `${checked.rejected} row(s) rejected` : changed ? null : note ?? 'no new or changed rows',
      };
    } catch (err) {
      if (signal.aborted) return { ...emptyDataset(item.dataset, 'skipped', 'abandoned: the service is stopping'), ...base };
      const message = this.deps.redact((err as Error).message);
      log.warn({ ticker: item.ticker, dataset: item.dataset, err: message }, 'load failed');
      return { ...emptyDataset(item.dataset, 'failed', `error: ${message}`), ...base };
    }
  }

  private async finishItem(state: RunState, ticker: Ticker, item: WorkItem, outcome: DatasetResult & { fetchedAt?: string; rejections?: TickerResult['rejections'] },
    total: number, request: RunRequest, log: Logger): Promise<void> {
    const { fetchedAt, rejections = [], ...dataset } = outcome;
    const r = ticker.result;
    r.datasets = r.datasets.map((d) => (d.dataset === item.dataset ? dataset : d));
    if (fetchedAt) r.fetched_at = fetchedAt;
    if (item.dataset === 'daily' && (dataset.variant === 'full' || dataset.variant === 'compact')) r.output_size = dataset.variant;
    r.rejections = [...r.rejections, ...rejections].slice(0, 50);
    state.requests += dataset.requests;
    state.done++;
    ticker.finished++;
    request.onProgress?.({ done: state.done, total, requests: state.requests, ticker: item.ticker, dataset: item.dataset });
    await this.recordTicker(state, ticker, 1, request, log, ticker.finished === ticker.due.size);
  }

  /** Writes a ticker's result so far; when it is final, also its log line, metrics and callback. */
  private async recordTicker(state: RunState, ticker: Ticker, done: number, request: RunRequest, log: Logger, final: boolean): Promise<void> {
    const r = summarise(ticker.result, ticker.due);
    ticker.result = r;
    await recordTickerResult(this.deps.db, state.runId, ticker.position, r, done);
    if (!final) return;
    recordEtlTicker(r);
    log.info({
      ticker: r.ticker, status: r.status, output_size: r.output_size, requests: r.requests, extracted: r.extracted, inserted: r.inserted,
      updated: r.updated, unchanged: r.unchanged, rejected: r.rejected, reason: r.reason,
      datasets: Object.fromEntries(r.datasets.map((d) => [d.dataset, d.status])),
    }, `ticker ${r.status}`);
    request.onTicker?.({ ...r, finished_at: new Date().toISOString() });
  }

  /** Retries recording a failed run every 2 s for up to 10 minutes (the database is down now). */
  private finishWhenBack(runId: number, error: string, log: Logger): void {
    let tries = 0;
    const timer = setInterval(() => {
      finishRun(this.deps.db, runId, 'failed', error).then(() => {
        clearInterval(timer);
        log.info('etl run failure recorded now that the database answers');
      }, () => { if (++tries >= 300) clearInterval(timer); });
    }, 2000).unref();
  }
}

/**
 * A ticker's totals and status from its datasets: failed, deferred or success when any dataset
 * is; skipped when a dataset it was due was skipped (the run stopped, an earlier dataset failed);
 * otherwise no new data. A refused dataset does not make a ticker skipped.
 */
export function summarise(r: Result, due: ReadonlySet<Dataset>): Result {
  const sum = (k: 'requests' | 'extracted' | 'inserted' | 'updated' | 'unchanged' | 'rejected') => r.datasets.reduce((n, d) => n + d[k], 0);
  const has = (status: TickerStatus) => r.datasets.some((d) => d.status === status);
  const skippedDue = r.datasets.some((d) => d.status === 'skipped' && due.has(d.dataset) && d.reason !== 'pending' && !d.reason?.startsWith('refused'));
  const status: TickerStatus = has('failed') ? 'failed' : has('deferred') ? 'deferred' : has('success') ? 'success'
    : skippedDue || r.datasets.every((d) => d.status === 'skipped') ? 'skipped' : 'no_new_data';
  // The reason that explains the status: the dataset that made it (or, for a success, rows that
  // were rejected), named unless it is the daily one.
  const cause = r.datasets.find((d) => d.status === status && d.reason && d.reason !== 'pending')
    ?? (status === 'success' ? r.datasets.find((d) => d.rejected > 0 && d.reason) : undefined);
  const named = r.datasets.length > 1 && cause && cause.dataset !== 'daily';
  const extracted = sum('extracted');
  return {
    ...r, status, requests: sum('requests'), extracted, transformed: extracted - sum('rejected'),
    inserted: sum('inserted'), updated: sum('updated'), unchanged: sum('unchanged'), rejected: sum('rejected'),
    reason: cause?.reason ? (named ? `${cause.dataset}: ${cause.reason}` : cause.reason) : null,
  };
}
