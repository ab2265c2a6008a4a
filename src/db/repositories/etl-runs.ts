// Queries on the ETL's history: runs, their progress and per-ticker results, each ticker's datasets.
import type { RunStatus, RunSummary, TickerStatus, Trigger } from '../../model/etl-run.ts';
import type { Dataset } from '../../sources/source.ts';
import type { Queryable } from '../driver/database.ts';

export type { RunStatus, RunSummary, TickerStatus, Trigger };

/** One dataset of a ticker in a run. Rows: bars, splits or dividends. */
export interface DatasetResult {
  dataset: Dataset;
  /** The variant asked for last (`full`, `compact`…); null when nothing was asked. */
  variant: string | null;
  status: TickerStatus;
  requests: number;
  extracted: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  reason: string | null;
}

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
  datasets: DatasetResult[];
}

export interface RunDetail extends RunSummary {
  /** Work items (a dataset of a ticker) planned and finished; equal once the run ends. */
  progress: { done: number; total: number };
  details: TickerResult[];
}

interface NewRun { trigger: Trigger; tickers: string[]; force: boolean; incremental: boolean; source: string; workTotal: number }

export async function createRun(db: Queryable, run: NewRun): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO etl_runs (trigger, source, status, tickers, force, incremental, work_total)
     VALUES ($1, $2, 'running', $3::text[], $4, $5, $6) RETURNING id`,
    [run.trigger, run.source, run.tickers, run.force, run.incremental, run.workTotal]);
  return rows[0]!.id;
}

/**
 * Marks a source's runs still "running" as aborted: called by whoever holds that source's run
 * lock, so they are stale.
 */
export async function abortStaleRuns(db: Queryable, source: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE etl_runs SET status = 'aborted', finished_at = now(), error = 'interrupted: the process stopped during the run'
     WHERE status = 'running' AND source = $1`, [source]);
  return rowCount;
}

/** One run of a source at a time, across every process on the database; true if taken. */
export async function tryRunLock(session: Queryable, source: string): Promise<boolean> {
  const { rows } = await session.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtextextended('etl run: ' || $1, 0)) AS locked`, [source]);
  return rows[0]!.locked;
}

export async function releaseRunLock(session: Queryable, source: string): Promise<void> {
  await session.query(`SELECT pg_advisory_unlock(hashtextextended('etl run: ' || $1, 0))`, [source]);
}

/**
 * Writes a ticker's result so far (a run in progress shows it), and counts `done` more work items
 * finished in the same statement.
 */
export async function recordTickerResult(db: Queryable, runId: number, position: number, r: Omit<TickerResult, 'finished_at'>, done = 0): Promise<void> {
  await db.query(
    `WITH progress AS (UPDATE etl_runs SET work_done = work_done + $18 WHERE id = $1 AND $18 > 0)
     INSERT INTO etl_run_tickers (run_id, position, ticker, status, output_size, requests, extracted, transformed,
       inserted, updated, unchanged, rejected, rejections, reason, fetched_at, started_at, datasets, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16, $17::jsonb, now())
     ON CONFLICT (run_id, position) DO UPDATE SET
       status = EXCLUDED.status, output_size = EXCLUDED.output_size, requests = EXCLUDED.requests,
       extracted = EXCLUDED.extracted, transformed = EXCLUDED.transformed, inserted = EXCLUDED.inserted,
       updated = EXCLUDED.updated, unchanged = EXCLUDED.unchanged, rejected = EXCLUDED.rejected,
       rejections = EXCLUDED.rejections, reason = EXCLUDED.reason, fetched_at = EXCLUDED.fetched_at,
       datasets = EXCLUDED.datasets, finished_at = now()`,
    [runId, position, r.ticker, r.status, r.output_size, r.requests, r.extracted, r.transformed,
      r.inserted, r.updated, r.unchanged, r.rejected, JSON.stringify(r.rejections), r.reason, r.fetched_at, r.started_at,
      JSON.stringify(r.datasets), done],
    { name: 'etl_record_ticker' });
}

/** The id of a source's run still marked running (in any process), if any. */
export async function runningRunId(db: Queryable, source: string): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(`SELECT id FROM etl_runs WHERE status = 'running' AND source = $1 ORDER BY id DESC LIMIT 1`, [source]);
  return rows[0]?.id;
}

export async function finishRun(db: Queryable, runId: number, status: Exclude<RunStatus, 'running'>, error?: string): Promise<void> {
  await db.query('UPDATE etl_runs SET status = $2, error = $3, finished_at = now(), work_done = work_total WHERE id = $1', [runId, status, error ?? null]);
}

const SUMMARY = `r.id AS run_id, r.trigger, r.source, r.status, r.tickers, r.force, r.incremental, r.started_at, r.finished_at, r.error,
  cardinality(r.tickers) AS total_tickers,
  coalesce(t.successful, 0) AS successful, coalesce(t.failed, 0) AS failed,
  coalesce(t.skipped, 0) AS skipped, coalesce(t.deferred, 0) AS deferred, coalesce(t.total_loaded, 0) AS total_loaded`;
const TOTALS = `LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE status IN ('success', 'no_new_data')) AS successful,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'skipped') AS skipped,
           count(*) FILTER (WHERE status = 'deferred') AS deferred,
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
  const { rows } = await db.query<RunSummary & { work_done: number; work_total: number }>(
    `SELECT ${SUMMARY}, r.work_done, r.work_total FROM etl_runs r ${TOTALS} WHERE r.id = $1`, [runId]);
  if (!rows[0]) return undefined;
  const details = await db.query<TickerResult>(
    `SELECT ticker, status, output_size, requests, extracted, transformed, inserted, updated, unchanged,
            rejected, rejections, reason, fetched_at, started_at, finished_at, datasets
     FROM etl_run_tickers WHERE run_id = $1 ORDER BY position`, [runId]);
  const { work_done, work_total, ...summary } = rows[0];
  return { ...fixTotals(summary), progress: { done: work_done, total: work_total }, details: details.rows };
}
