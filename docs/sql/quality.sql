-- The SQL of src/db/quality.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- flaggedSql
fetched AS (
  SELECT ticker, max(fetched_at) AS fetched_at FROM ticker_datasets WHERE dataset = 'daily' GROUP BY ticker
),
bars AS (
  SELECT m.ticker, m.date, m.close, m.volume, m.updated_at, lag(m.close) OVER (PARTITION BY m.ticker ORDER BY m.date) AS previous_close
  FROM market_data m WHERE ${tickerIs} AND m.date >= coalesce($2::date, '-infinity') AND m.date <= coalesce($3::date, 'infinity')
),
-- A move beyond the threshold either way, zero volume, or written before the next day began in
-- UTC (18:00 New York is earlier): only these can be findings. NUMERIC products, no division.
candidates AS (
  SELECT b.*, s.n FROM bars b LEFT JOIN exchange_sessions s ON s.date = b.date
  WHERE b.volume = 0 OR b.updated_at < b.date + 1
     OR b.close * ${1 - MOVE_THRESHOLD} > b.previous_close OR b.previous_close * ${1 - MOVE_THRESHOLD} > b.close
),
flagged AS (
  SELECT c.ticker, c.date, c.close, c.previous_close, c.volume,
         c.n IS NOT NULL AND c.volume = 0 AS zero_volume,
         c.updated_at < r.published_at AND coalesce(f.fetched_at < r.published_at, true) AS provisional,
         r.unit AS unit_error,
         coalesce(r.ratio > 1 / (1 - ${MOVE_THRESHOLD}) OR r.ratio < 1 - ${MOVE_THRESHOLD}, false) AND NOT r.unit
           AND NOT EXISTS (SELECT FROM splits sp WHERE sp.ticker = c.ticker AND sp.ex_date = c.date) AS possible_split
  FROM candidates c
  -- The split factor that would explain the move (2: prices halved). Only for the candidates.
  CROSS JOIN LATERAL (SELECT c.previous_close / c.close AS ratio) AS q
  CROSS JOIN LATERAL (SELECT q.ratio,
                             coalesce(abs(q.ratio / ${UNIT_FACTOR} - 1) <= ${UNIT_TOLERANCE} OR abs(q.ratio * ${UNIT_FACTOR} - 1) <= ${UNIT_TOLERANCE}, false) AS unit,
                             (c.date + make_interval(mins => $4::int)) AT TIME ZONE 'America/New_York' AS published_at) AS r
  LEFT JOIN fetched f ON f.ticker = c.ticker
),
closed_days AS (
  SELECT d::date AS date FROM generate_series(date '${FIRST_DATE}', date '${LAST_DATE}', interval '1 day') AS d
  WHERE NOT EXISTS (SELECT FROM exchange_sessions s WHERE s.date = d::date)
),
non_session AS (
  SELECT m.ticker, m.date, m.close, m.volume FROM closed_days c JOIN market_data m ON m.date = c.date
  WHERE ${tickerIs} AND m.date >= coalesce($2::date, '-infinity') AND m.date <= coalesce($3::date, 'infinity')
);

-- countsSql
WITH ${flaggedSql(one ? 'm.ticker = $1' : '$1::varchar IS NULL AND m.ticker BETWEEN $6::varchar AND $7::varchar')},
base AS (
  SELECT t.ticker, r.first_date, r.last_date, r.bars,
         coalesce($2::date, r.first_date) AS from_date,
         CASE WHEN $3::date IS NULL THEN r.last_date ELSE least($3::date, greatest($5::date, r.last_date)) END AS to_date
  FROM market_data_ticker_totals t
  CROSS JOIN LATERAL (SELECT
      (SELECT min(m.date) FROM market_data m WHERE m.ticker = t.ticker AND m.date >= coalesce($2::date, '-infinity') AND m.date <= coalesce($3::date, 'infinity')) AS first_date,
      (SELECT max(m.date) FROM market_data m WHERE m.ticker = t.ticker AND m.date >= coalesce($2::date, '-infinity') AND m.date <= coalesce($3::date, 'infinity')) AS last_date,
      CASE WHEN $2::date IS NULL AND $3::date IS NULL THEN t.rows
           ELSE (SELECT count(*) FROM market_data m WHERE m.ticker = t.ticker AND m.date >= coalesce($2::date, '-infinity') AND m.date <= coalesce($3::date, 'infinity')) END AS bars) AS r
  WHERE t.rows > 0 AND ${one ? 't.ticker = $1' : 't.ticker BETWEEN $6 AND $7'} AND r.first_date IS NOT NULL
),
outside AS ( -- bars beyond the calendar's years: neither sessions nor closed days
  SELECT m.ticker, count(*) AS n FROM market_data m
  WHERE (m.date < '${FIRST_DATE}' OR m.date > '${LAST_DATE}') AND ${one ? 'm.ticker = $1' : 'm.ticker BETWEEN $6 AND $7'} AND m.date >= coalesce($2::date, '-infinity') AND m.date <= coalesce($3::date, 'infinity') GROUP BY m.ticker
),
flag_counts AS (
  SELECT ticker, count(*) FILTER (WHERE possible_split) AS possible_split, count(*) FILTER (WHERE unit_error) AS unit_error,
         count(*) FILTER (WHERE zero_volume) AS zero_volume, count(*) FILTER (WHERE provisional) AS provisional
  FROM flagged GROUP BY ticker
),
closed_counts AS (SELECT ticker, count(*) AS n FROM non_session GROUP BY ticker),
counted AS (
  SELECT b.*, b.bars - coalesce(cc.n, 0) - coalesce(o.n, 0) AS stored, coalesce(cc.n, 0) AS non_session,
         coalesce(fc.possible_split, 0) AS possible_split, coalesce(fc.unit_error, 0) AS unit_error,
         coalesce(fc.zero_volume, 0) AS zero_volume, coalesce(fc.provisional, 0) AS provisional
  FROM base b
  LEFT JOIN closed_counts cc ON cc.ticker = b.ticker
  LEFT JOIN outside o ON o.ticker = b.ticker
  LEFT JOIN flag_counts fc ON fc.ticker = b.ticker
)
SELECT p.ticker, p.first_date, p.last_date, p.from_date, p.to_date,
       greatest(coalesce(hi.n - lo.n + 1, 0), 0) AS expected, p.stored,
       greatest(coalesce(hi.n - lo.n + 1, 0) - p.stored, 0) AS missing,
       greatest(coalesce((SELECT n FROM exchange_sessions WHERE date = $5::date) - newest.n, 0), 0) AS sessions_behind,
       p.non_session, p.possible_split, p.unit_error, p.zero_volume, p.provisional
FROM counted p
CROSS JOIN LATERAL (SELECT n FROM exchange_sessions WHERE date >= p.from_date ORDER BY date LIMIT 1) AS lo
CROSS JOIN LATERAL (SELECT n FROM exchange_sessions WHERE date <= p.to_date ORDER BY date DESC LIMIT 1) AS hi
CROSS JOIN LATERAL (SELECT n FROM exchange_sessions WHERE date <= p.last_date ORDER BY date DESC LIMIT 1) AS newest
ORDER BY p.ticker;

-- FINDINGS_SQL
WITH ${flaggedSql('m.ticker = $1')}
SELECT k.kind, f.date, f.close, f.previous_close, f.volume
FROM flagged f
CROSS JOIN LATERAL (VALUES ('possible_split', f.possible_split), ('unit_error', f.unit_error),
                           ('zero_volume', f.zero_volume), ('provisional', f.provisional)) AS k(kind, hit)
WHERE k.hit
UNION ALL
SELECT 'non_session', date, close, NULL, volume FROM non_session
UNION ALL
SELECT 'missing', s.date, NULL, NULL, NULL
FROM exchange_sessions s
WHERE s.date BETWEEN $5::date AND $6::date
  AND NOT EXISTS (SELECT FROM market_data m WHERE m.ticker = $1 AND m.date = s.date)
ORDER BY date, kind;

-- tickerRanges
SELECT ticker, rows FROM market_data_ticker_totals WHERE rows > 0 ORDER BY ticker;

-- missingSessions
SELECT t.ticker,
       coalesce((SELECT array_agg(s.date::text ORDER BY s.date) FROM exchange_sessions s
                 WHERE s.date >= greatest($2::date, b.first) AND s.date <= b.last
                   AND NOT EXISTS (SELECT FROM market_data m WHERE m.ticker = t.ticker AND m.date = s.date)), '{}') AS recent,
       CASE WHEN b.first >= $2::date THEN 0 ELSE greatest(
         coalesce((SELECT max(n) FROM exchange_sessions WHERE date < $2::date AND date <= b.last), 0)
         - coalesce((SELECT min(n) FROM exchange_sessions WHERE date >= b.first), 1) + 1
         - (SELECT count(*) FROM market_data m JOIN exchange_sessions s ON s.date = m.date WHERE m.ticker = t.ticker AND m.date < $2::date), 0)
       END AS older
FROM unnest($1::varchar[]) AS t(ticker)
CROSS JOIN LATERAL (SELECT min(date) AS first, max(date) AS last FROM market_data WHERE ticker = t.ticker) AS b
WHERE b.first IS NOT NULL;
