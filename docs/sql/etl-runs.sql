-- The SQL of src/db/etl-runs.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- createRun
INSERT INTO etl_runs (trigger, source, status, tickers, force, incremental, work_total)
VALUES ($1, $2, 'running', $3::text[], $4, $5, $6) RETURNING id;

-- abortStaleRuns
UPDATE etl_runs SET status = 'aborted', finished_at = now(), error = 'interrupted: the process stopped during the run'
WHERE status = 'running' AND source = $1;

-- tryRunLock
SELECT pg_try_advisory_lock(hashtextextended('etl run: ' || $1, 0)) AS locked;

-- releaseRunLock
SELECT pg_advisory_unlock(hashtextextended('etl run: ' || $1, 0));

-- recordTickerResult
WITH progress AS (UPDATE etl_runs SET work_done = work_done + $18 WHERE id = $1 AND $18 > 0)
INSERT INTO etl_run_tickers (run_id, position, ticker, status, output_size, requests, extracted, transformed,
  inserted, updated, unchanged, rejected, rejections, reason, fetched_at, started_at, datasets, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16, $17::jsonb, now())
ON CONFLICT (run_id, position) DO UPDATE SET
  status = EXCLUDED.status, output_size = EXCLUDED.output_size, requests = EXCLUDED.requests,
  extracted = EXCLUDED.extracted, transformed = EXCLUDED.transformed, inserted = EXCLUDED.inserted,
  updated = EXCLUDED.updated, unchanged = EXCLUDED.unchanged, rejected = EXCLUDED.rejected,
  rejections = EXCLUDED.rejections, reason = EXCLUDED.reason, fetched_at = EXCLUDED.fetched_at,
  datasets = EXCLUDED.datasets, finished_at = now();

-- runningRunId
SELECT id FROM etl_runs WHERE status = 'running' AND source = $1 ORDER BY id DESC LIMIT 1;

-- finishRun
UPDATE etl_runs SET status = $2, error = $3, finished_at = now(), work_done = work_total WHERE id = $1;

-- TOTALS
LEFT JOIN LATERAL (
SELECT count(*) FILTER (WHERE status IN ('success', 'no_new_data')) AS successful,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'skipped') AS skipped,
       count(*) FILTER (WHERE status = 'deferred') AS deferred,
       sum(inserted + updated) AS total_loaded
FROM etl_run_tickers WHERE run_id = r.id) AS t ON true;

-- listRuns (1)
SELECT count(*) AS n FROM etl_runs;

-- listRuns (2)
SELECT r.id AS run_id, r.trigger, r.source, r.status, r.tickers, r.force, r.incremental, r.started_at, r.finished_at, r.error,
cardinality(r.tickers) AS total_tickers,
coalesce(t.successful, 0) AS successful, coalesce(t.failed, 0) AS failed,
coalesce(t.skipped, 0) AS skipped, coalesce(t.deferred, 0) AS deferred, coalesce(t.total_loaded, 0) AS total_loaded FROM etl_runs r LEFT JOIN LATERAL (
  SELECT count(*) FILTER (WHERE status IN ('success', 'no_new_data')) AS successful,
         count(*) FILTER (WHERE status = 'failed') AS failed,
         count(*) FILTER (WHERE status = 'skipped') AS skipped,
         count(*) FILTER (WHERE status = 'deferred') AS deferred,
         sum(inserted + updated) AS total_loaded
  FROM etl_run_tickers WHERE run_id = r.id) AS t ON true ORDER BY r.id DESC LIMIT $1 OFFSET $2;

-- getRun
SELECT r.id AS run_id, r.trigger, r.source, r.status, r.tickers, r.force, r.incremental, r.started_at, r.finished_at, r.error,
cardinality(r.tickers) AS total_tickers,
coalesce(t.successful, 0) AS successful, coalesce(t.failed, 0) AS failed,
coalesce(t.skipped, 0) AS skipped, coalesce(t.deferred, 0) AS deferred, coalesce(t.total_loaded, 0) AS total_loaded, r.work_done, r.work_total FROM etl_runs r LEFT JOIN LATERAL (
  SELECT count(*) FILTER (WHERE status IN ('success', 'no_new_data')) AS successful,
         count(*) FILTER (WHERE status = 'failed') AS failed,
         count(*) FILTER (WHERE status = 'skipped') AS skipped,
         count(*) FILTER (WHERE status = 'deferred') AS deferred,
         sum(inserted + updated) AS total_loaded
  FROM etl_run_tickers WHERE run_id = r.id) AS t ON true WHERE r.id = $1;

-- getRun.details
SELECT ticker, status, output_size, requests, extracted, transformed, inserted, updated, unchanged,
       rejected, rejections, reason, fetched_at, started_at, finished_at, datasets
FROM etl_run_tickers WHERE run_id = $1 ORDER BY position;
