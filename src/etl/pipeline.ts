// One ETL run: tickers one at a time through the shared limiter; extract → transform → load; a
// result row per ticker as soon as it is done. One ticker's failure never stops the others, except
// Alpha Vantage's daily cap (or our own daily budget) and an invalid key, which stop the run.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { foldCounts } from '../db/counts.ts';
import type { Database } from '../db/database.ts';
import { profileOf } from '../db/profile.ts';
import {
  abortStaleRuns, createRun, finishRun, getRun, lastFetchedAt, recordTickerResult,
  type RunDetail, type TickerResult, type Trigger,
} from '../db/etl-runs.ts';
import { newestDate } from '../db/market-data.ts';
import type { Logger } from '../logger.ts';
import type { Bar } from '../model/bar.ts';
import { recordEtlRun, recordEtlTicker } from '../metrics.ts';
import type { FailureKind } from './classify.ts';
import type { AlphaVantage } from './extract.ts';
import { chooseOutputSize, isUpToDate } from './freshness.ts';
import { loadBars } from './load.ts';
import { transformYielding } from './transform.ts';

export const FREE_KEY_HELP = 'get a free key in 20 seconds at https://www.alphavantage.co/support/#api-key and set ALPHA_VANTAGE_API_KEY';

const LABEL: Record<FailureKind | 'budget_exhausted', string> = {
  empty: 'no data', missing_series: 'unexpected response', invalid_symbol: 'invalid symbol',
  invalid_key: 'invalid API key', demo_key: 'demo key refused', premium: 'premium endpoint',
  burst_limit: 'burst limit', daily_limit: 'daily limit', minute_limit: 'per-minute limit',
  http_error: 'HTTP error', malformed: 'malformed response', timeout: 'timeout', network: 'network error',
  budget_exhausted: 'daily budget',
};

export class RunInProgressError extends Error {
  constructor() {
    super('an ETL run is already in progress');
    this.name = 'RunInProgressError';
  }
}

export interface RunRequest {
  tickers: string[];
  trigger: Trigger;
  /** Fetch full history even when the ticker looks up to date. */
  force?: boolean;
  /** false: full history for every ticker. */
  incremental?: boolean;
  /** Aborting stops the run cleanly: the current ticker is abandoned, the rest skipped. */
  signal?: AbortSignal;
  onTicker?: (result: TickerResult) => void;
}

export interface EtlDeps {
  db: Database;
  logger: Logger;
  alphaVantage: AlphaVantage;
  redact: (text: string) => string;
  now?: () => Date;
}

/** Arbitrary but fixed: one ETL run at a time across every process on the database. */
const RUN_LOCK = 727_000_002;

interface RunState { stop?: string; error?: string }
type Result = Omit<TickerResult, 'finished_at'>;
/** A ticker ready to load (`bars`), or done without a load. */
interface Prepared { result: Result; bars?: Bar[]; log: Logger }

export class EtlRunner {
  private current: Promise<RunDetail> | undefined;
  /** Aborted by stop(): ends whichever run is going, however it was triggered. */
  private readonly stopping = new AbortController();
  private demoKeyExplained = false;
  private readonly now: () => Date;

  constructor(private readonly deps: EtlDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  /** Runs to the end and returns the run with its details; RunInProgressError if one is going. */
  run(given: RunRequest): Promise<RunDetail> {
    if (this.current) return Promise.reject(new RunInProgressError());
    if (this.stopping.signal.aborted) return Promise.reject(new Error('the ETL is stopped'));
    const signal = given.signal ? AbortSignal.any([given.signal, this.stopping.signal]) : this.stopping.signal;
    const request = { ...given, signal };
    const run = this.deps.db.withSession(async (session) => {
      const { rows } = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [RUN_LOCK]);
      if (!rows[0]!.locked) throw new RunInProgressError(); // another process is running one
      try {
        return await this.execute(request);
      } finally {
        await session.query('SELECT pg_advisory_unlock($1)', [RUN_LOCK]);
      }
    });
    this.current = run;
    return run.finally(() => { this.current = undefined; });
  }

  /** Refuses new runs, abandons the current one cleanly (see RunRequest.signal) and waits for it. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the service is stopping'));
    await this.current?.catch(() => {});
  }

  private async execute(request: RunRequest): Promise<RunDetail> {
    const { db } = this.deps;
    const tickers = [...new Set(request.tickers.map((t) => t.trim().toUpperCase()))];
    const stale = await abortStaleRuns(db); // we hold the run lock: any "running" run is dead
    const runId = await createRun(db, { trigger: request.trigger, tickers, force: !!request.force, incremental: request.incremental !== false });
    const log = this.deps.logger.child({ run_id: runId });
    log.info({ trigger: request.trigger, tickers, force: !!request.force, incremental: request.incremental !== false, stale_runs_closed: stale }, 'etl run started');
    const state: RunState = {};
    // Tickers load at once (profile.ts: two on a server, one on the embedded database) while the
    // next is fetched and transformed. At most loadsAtOnce + 1 tickers' bars are in memory.
    // Results are recorded in ticker order.
    const loadsAtOnce = profileOf(db).loadsAtOnce;
    const ahead = new AbortController();
    const aheadRequest = { ...request, signal: AbortSignal.any([request.signal!, ahead.signal]) };
    const prepare = (position: number) => this.prepare(tickers[position]!, aheadRequest, state, log.child({ ticker: tickers[position] }));
    let next = tickers.length ? prepare(0) : undefined;
    const loading: { position: number; log: Logger; result: Promise<Result> }[] = [];
    const finish = async (): Promise<void> => {
      const { position, log: tickerLog, result: pending } = loading[0]!;
      const result = await pending;
      loading.shift();
      await recordTickerResult(db, runId, position, result);
      recordEtlTicker(result);
      tickerLog.info({
        status: result.status, output_size: result.output_size, requests: result.requests, extracted: result.extracted,
        inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, rejected: result.rejected, reason: result.reason,
      }, `ticker ${result.status}`);
      request.onTicker?.({ ...result, finished_at: new Date().toISOString() });
    };
    try {
      for (const [position] of tickers.entries()) {
        const prepared = await next!;
        // This ticker's fetch has been classified, so a stop it caused is already in `state`.
        const more = position + 1 < tickers.length;
        const result = this.load(prepared, request);
        loading.push({ position, log: prepared.log, result });
        next = more ? prepare(position + 1) : undefined;
        while (loading.length >= loadsAtOnce || (!more && loading.length)) await finish();
      }
      const status = request.signal?.aborted ? 'aborted' : state.error ? 'failed' : 'completed';
      await finishRun(db, runId, status, state.error ?? (status === 'aborted' ? 'stopped: the service is shutting down' : undefined));
    } catch (err) {
      ahead.abort(err);
      await next?.catch(() => {});
      await Promise.all(loading.map((l) => l.result.catch(() => {})));
      // The database itself failed mid-run; record it now, or once the database is back.
      const message = this.deps.redact((err as Error).message);
      log.error({ err: message }, 'etl run failed');
      await finishRun(db, runId, 'failed', `database error: ${message}`).catch(() => this.finishWhenBack(runId, `database error: ${message}`, log));
      recordEtlRun(request.trigger, 'failed');
      throw err;
    }
    await foldCounts(db).catch(() => {}); // fold the run's count deltas (the service also does it every 2 s)
    const run = (await getRun(db, runId))!;
    recordEtlRun(request.trigger, run.status, run.started_at);
    log.info({ status: run.status, successful: run.successful, failed: run.failed, skipped: run.skipped, total_loaded: run.total_loaded }, 'etl run finished');
    return run;
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

  /**
   * Everything before the load: freshness, the request, the transform. A ticker that needs no
   * load comes back with its final result.
   */
  private async prepare(ticker: string, request: RunRequest, state: RunState, log: Logger): Promise<Prepared> {
    const { db, alphaVantage } = this.deps;
    const result: Result = {
      ticker, status: 'skipped', output_size: null, requests: 0, extracted: 0, transformed: 0, inserted: 0, updated: 0,
      unchanged: 0, rejected: 0, rejections: [], reason: null, fetched_at: null, started_at: new Date().toISOString(),
    };
    const done = (final: Result): Prepared => ({ result: final, log });
    if (state.stop) return done({ ...result, reason: state.stop });
    if (request.signal?.aborted) return done({ ...result, reason: 'skipped: the service is stopping' });
    try {
      const now = this.now();
      const newest = await newestDate(db, ticker);
      if (!request.force && isUpToDate(newest, await lastFetchedAt(db, ticker), now)) {
        return done({ ...result, status: 'no_new_data', reason: `up to date: the newest bar (${newest}) is the latest there can be before the next close` });
      }
      result.output_size = chooseOutputSize(newest, now, !!request.force || request.incremental === false);
      const { outcome, requests } = await alphaVantage.fetchDaily(ticker, result.output_size, request.signal);
      result.requests = requests;
      if (outcome.kind === 'data') {
        result.fetched_at = this.now().toISOString();
        await nextTurn(); // the API's turn after parsing the body
        const transformed = await transformYielding(ticker, outcome.rows, { now, duplicates: outcome.duplicates });
        return {
          log, bars: transformed.bars,
          result: {
            ...result, extracted: outcome.rows.length, transformed: transformed.bars.length,
            rejected: transformed.rejected, rejections: transformed.rejections,
          },
        };
      }
      const reason = `${LABEL[outcome.kind]}: ${outcome.message}`;
      switch (outcome.kind) {
        case 'budget_exhausted':
          state.stop = `skipped: ${reason}`;
          return done({ ...result, reason: state.stop });
        case 'daily_limit':
          state.stop = `skipped: Alpha Vantage's daily limit is reached (${outcome.message})`;
          break;
        case 'invalid_key':
          state.stop = 'skipped: the run stopped because Alpha Vantage rejected the API key';
          state.error = `Alpha Vantage rejected ALPHA_VANTAGE_API_KEY as invalid or missing: ${FREE_KEY_HELP}`;
          log.error(state.error);
          break;
        case 'demo_key':
          if (!this.demoKeyExplained) {
            this.demoKeyExplained = true;
            log.warn(`the "demo" key only serves Alpha Vantage's documented examples (such as IBM): ${FREE_KEY_HELP}`);
          }
          return done({ ...result, status: 'failed', reason: `${reason} — ${FREE_KEY_HELP}` });
      }
      return done({ ...result, status: 'failed', reason });
    } catch (err) {
      return done(this.failed(result, err, request, log));
    }
  }

  /** Loads a prepared ticker whole (one transaction), or passes its final result on. */
  private async load(prepared: Prepared, request: RunRequest): Promise<Result> {
    const { result, bars, log } = prepared;
    if (!bars) return result;
    try {
      const counts = await loadBars(this.deps.db, bars, { signal: request.signal, onBatch: (done) => log.debug({ done, of: bars.length }, 'batch loaded') });
      const changed = counts.inserted + counts.updated;
      return {
        ...result, ...counts, status: changed > 0 ? 'success' : 'no_new_data',
        reason: result.rejected ? `${result.rejected} row(s) rejected` : changed ? null : 'no new or changed rows',
      };
    } catch (err) {
      return this.failed(result, err, request, log);
    }
  }

  private failed(result: Result, err: unknown, request: RunRequest, log: Logger): Result {
    if (request.signal?.aborted) return { ...result, status: 'skipped', reason: 'abandoned: the service is stopping' };
    const message = this.deps.redact((err as Error).message);
    log.warn({ err: message }, 'ticker failed');
    return { ...result, status: 'failed', reason: `error: ${message}` };
  }
}
