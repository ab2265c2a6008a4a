// Queries on the ETL's history: runs, their per-ticker results, and when a ticker last got data.
import type { Queryable } from './database.ts';

export type Trigger = 'schedule' | 'api' | 'cli';
export type RunStatus = 'running' | 'completed' | 'failed' | 'aborted';
export type TickerStatus = 'success' | 'skipped' | 'no_new_data' | 'failed';

export interface TickerResult {
  ticker: string;
  status: TickerStatus;
  output_size: 'compact' | 'full' | null;
  requests: number;
  extracted: number;
  transformed: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  rejections: { date: string; reason: string }[];
  reason: string | null;
  fetched_at: string | null;
  started_at: string;
  finished_at: string;
}

export interface RunSummary {
  run_id: number;
  trigger: Trigger;
  source: string;
  status: RunStatus;
  tickers: string[];
  force: boolean;
  incremental: boolean;
  started_at: string;
  finished_at: string | null;
  error: string | null;
  total_tickers: number;
  successful: number;
  failed: number;
  skipped: number;
  total_loaded: number;
}

export interface RunDetail extends RunSummary { details: TickerResult[] }

export async function createRun(db: Queryable, run: { trigger: Trigger; tickers: string[]; force: boolean; incremental: boolean; source?: string }): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO etl_runs (trigger, source, status, tickers, force, incremental)
     VALUES ($1, $2, 'running', $3::text[], $4, $5) RETURNING id`,
    [run.trigger, run.source ?? 'alpha_vantage', run.tickers, run.force, run.incremental]);
  return rows[0]!.id;
}

/** Marks runs still "running" as aborted: called by whoever holds the run lock, so they are stale. */
export async function abortStaleRuns(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE etl_runs SET status = 'aborted', finished_at = now(), error = 'interrupted: the process stopped during the run'
     WHERE status = 'running'`);
  return rowCount;
}

export async function recordTickerResult(db: Queryable, runId: number, position: number, r: Omit<TickerResult, 'finished_at'>): Promise<void> {
  await db.query(
    `INSERT INTO etl_run_tickers (run_id, position, ticker, status, output_size, requests, extracted, transformed,
       inserted, updated, unchanged, rejected, rejections, reason, fetched_at, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16)`,
    [runId, position, r.ticker, r.status, r.output_size, r.requests, r.extracted, r.transformed,
      r.inserted, r.updated, r.unchanged, r.rejected, JSON.stringify(r.rejections), r.reason, r.fetched_at, r.started_at],
    { name: 'etl_record_ticker' });
}

export async function finishRun(db: Queryable, runId: number, status: Exclude<RunStatus, 'running'>, error?: string): Promise<void> {
  await db.query('UPDATE etl_runs SET status = $2, error = $3, finished_at = now() WHERE id = $1', [runId, status, error ?? null]);
}

const SUMMARY = `r.id AS run_id, r.trigger, r.source, r.status, r.tickers, r.force, r.incremental, r.started_at, r.finished_at, r.error,
  cardinality(r.tickers) AS total_tickers,
  coalesce(t.successful, 0) AS successful, coalesce(t.failed, 0) AS failed,
  coalesce(t.skipped, 0) AS skipped, coalesce(t.total_loaded, 0) AS total_loaded`;
const TOTALS = `LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE status IN ('success', 'no_new_data')) AS successful,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'skipped') AS skipped,
           sum(inserted + updated) AS total_loaded
    FROM etl_run_tickers WHERE run_id = r.id) AS t ON true`;

// sum() of integers is bigint; it comes back as a number from the int8 parser.
const fixTotals = <T extends { total_loaded: unknown }>(row: T): T => ({ ...row, total_loaded: Number(row.total_loaded) });

export async function listRuns(db: Queryable, page: number, size: number): Promise<{ total: number; rows: RunSummary[] }> {
  const [{ rows: count }, { rows }] = [
    await db.query<{ n: number }>('SELECT count(*) AS n FROM etl_runs'),
    await db.query<RunSummary>(`SELECT ${SUMMARY} FROM etl_runs r ${TOTALS} ORDER BY r.id DESC LIMIT $1 OFFSET $2`, [size, (page - 1) * size]),
  ];
  return { total: count[0]!.n, rows: rows.map(fixTotals) };
}

export async function getRun(db: Queryable, runId: number): Promise<RunDetail | undefined> {
  const { rows } = await db.query<RunSummary>(`SELECT ${SUMMARY} FROM etl_runs r ${TOTALS} WHERE r.id = $1`, [runId]);
  if (!rows[0]) return undefined;
  const details = await db.query<TickerResult>(
    `SELECT ticker, status, output_size, requests, extracted, transformed, inserted, updated, unchanged,
            rejected, rejections, reason, fetched_at, started_at, finished_at
     FROM etl_run_tickers WHERE run_id = $1 ORDER BY position`, [runId]);
  return { ...fixTotals(rows[0]), details: details.rows };
}

/** When Alpha Vantage last answered with data for this ticker. */
export async function lastFetchedAt(db: Queryable, ticker: string): Promise<Date | undefined> {
  const { rows } = await db.query<{ fetched_at: string }>(
    'SELECT fetched_at FROM etl_run_tickers WHERE ticker = $1 AND fetched_at IS NOT NULL ORDER BY fetched_at DESC LIMIT 1',
    [ticker], { name: 'etl_last_fetched' });
  return rows[0] ? new Date(rows[0].fetched_at) : undefined;
}
