-- The SQL of src/db/period-bars.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- UPSERT_SQL
WITH upserted AS (
  INSERT INTO period_bars AS p (ticker, interval, date, open, high, low, close, volume)
  SELECT ticker, $8, date, open, high, low, close, volume
  FROM unnest($1::varchar[], $2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::bigint[])
       AS b(ticker, date, open, high, low, close, volume)
  ON CONFLICT (ticker, interval, period) DO UPDATE SET
    date = EXCLUDED.date, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
    volume = EXCLUDED.volume, updated_at = now()
  WHERE (p.date, p.open, p.high, p.low, p.close, p.volume)
    IS DISTINCT FROM (EXCLUDED.date, EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
  RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM upserted;
