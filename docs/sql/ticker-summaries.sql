-- The SQL of src/db/ticker-summaries.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- FETCHED
LEFT JOIN LATERAL (
  SELECT fetched_at FROM etl_run_tickers
  WHERE ticker = s.ticker AND fetched_at IS NOT NULL ORDER BY fetched_at DESC LIMIT 1
) AS e ON true;

-- RAW_SQL
SELECT s.ticker, s.rows, f.first_date, l.last_date, l.close, l.previous_close, s.changed_at AS updated_at, e.fetched_at
FROM market_data_ticker_totals s
CROSS JOIN LATERAL (SELECT min(date) AS first_date FROM market_data WHERE ticker = s.ticker) AS f
CROSS JOIN LATERAL (
  SELECT max(date) AS last_date,
         trim_scale((array_agg(close ORDER BY date DESC))[1]) AS close,
         trim_scale((array_agg(close ORDER BY date DESC))[2]) AS previous_close
  FROM (SELECT date, close FROM market_data WHERE ticker = s.ticker ORDER BY date DESC LIMIT 2) AS newest
) AS l
LEFT JOIN LATERAL (
  SELECT fetched_at FROM etl_run_tickers
  WHERE ticker = s.ticker AND fetched_at IS NOT NULL ORDER BY fetched_at DESC LIMIT 1
) AS e ON true
WHERE s.rows > 0
ORDER BY s.ticker;

-- adjustedSql
WITH page AS (
  SELECT s.ticker, s.rows, s.changed_at, n.date, n.close
  FROM market_data_ticker_totals s
  CROSS JOIN LATERAL (SELECT date, close FROM market_data WHERE ticker = s.ticker ORDER BY date DESC LIMIT 2) AS n
  WHERE s.rows > 0
),
adjusted AS (
  SELECT p.ticker, p.rows, p.changed_at, p.date, ${adjustedPrice('p.close', adjustment)} AS close FROM page p ${FACTORS_JOIN}
)
SELECT s.ticker, s.rows, f.first_date, l.last_date, l.close, l.previous_close, s.changed_at AS updated_at, e.fetched_at
FROM (SELECT DISTINCT ticker, rows, changed_at FROM adjusted) AS s
CROSS JOIN LATERAL (SELECT min(date) AS first_date FROM market_data WHERE ticker = s.ticker) AS f
CROSS JOIN LATERAL (
  SELECT max(date) AS last_date, (array_agg(close ORDER BY date DESC))[1] AS close, (array_agg(close ORDER BY date DESC))[2] AS previous_close
  FROM adjusted a WHERE a.ticker = s.ticker
) AS l
LEFT JOIN LATERAL (
       SELECT fetched_at FROM etl_run_tickers
       WHERE ticker = s.ticker AND fetched_at IS NOT NULL ORDER BY fetched_at DESC LIMIT 1
     ) AS e ON true
ORDER BY s.ticker;
