-- The SQL of src/db/market-data.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- GET_SQL
SELECT ${RECORD_JSON} AS json FROM market_data WHERE id = $1;

-- GET_MANY_SQL
SELECT id, ${RECORD_JSON} AS json FROM market_data WHERE id = ANY($1::bigint[]);

-- INSERT_SQL
INSERT INTO market_data (ticker, date, open, high, low, close, volume)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (ticker, date) DO NOTHING
RETURNING id, ticker, date, ${RECORD_JSON} AS json;

-- INSERT_MANY_SQL
INSERT INTO market_data (ticker, date, open, high, low, close, volume)
SELECT * FROM unnest($1::varchar[], $2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::bigint[])
ON CONFLICT (ticker, date) DO NOTHING
RETURNING id, ticker, date, ${RECORD_JSON} AS json;

-- getPrices
SELECT open, high, low, close FROM market_data WHERE id = $1;

-- updateMarketData
UPDATE market_data SET
  open = coalesce($2::numeric, open), high = coalesce($3::numeric, high),
  low = coalesce($4::numeric, low), close = coalesce($5::numeric, close),
  volume = coalesce($6::bigint, volume), updated_at = now()
WHERE id = $1
RETURNING id, ticker, date, ${RECORD_JSON} AS json;

-- deleteMarketData
DELETE FROM market_data WHERE id = $1;

-- listTickers
WITH RECURSIVE t AS (
  (SELECT ticker FROM market_data ORDER BY ticker LIMIT 1)
  UNION ALL
  SELECT (SELECT m.ticker FROM market_data m WHERE m.ticker > t.ticker ORDER BY m.ticker LIMIT 1)
  FROM t WHERE t.ticker IS NOT NULL
)
SELECT ticker FROM t WHERE ticker IS NOT NULL;

-- SUMMARY_SQL
WITH page AS (SELECT * FROM market_data WHERE ticker = $1 ORDER BY date DESC LIMIT 1)
SELECT s.first_date, s.last_date, s.row_count,
       (SELECT ${recordJson({ alias: 'p.', id: true, interval: `'1d'`, adjustment })} FROM page p${adjustment === 'raw' ? '' : ` ${FACTORS_JOIN}`}) AS latest
FROM (SELECT min(date) AS first_date, max(date) AS last_date, count(*) AS row_count FROM market_data WHERE ticker = $1) AS s
WHERE s.row_count > 0;

-- upsertFrom
WITH upserted AS (
  INSERT INTO market_data AS m (ticker, date, open, high, low, close, volume)
  SELECT ticker, date, open, high, low, close, volume FROM ${source}
  ON CONFLICT (ticker, date) DO UPDATE SET
    open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
    volume = EXCLUDED.volume, updated_at = now()
  WHERE (m.open, m.high, m.low, m.close, m.volume)
    IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
  RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM upserted;

-- newestDate
SELECT date FROM market_data WHERE ticker = $1 ORDER BY date DESC LIMIT 1;
