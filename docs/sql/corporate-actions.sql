-- The SQL of src/db/corporate-actions.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- REPLACE_SPLITS
WITH given AS (
  SELECT * FROM unnest($2::date[], $3::numeric[]) AS g(ex_date, factor)
), gone AS (
  DELETE FROM splits s WHERE s.ticker = $1 AND s.ex_date <> ALL ($2::date[]) RETURNING 1
), upserted AS (
  INSERT INTO splits AS s (ticker, ex_date, factor) SELECT $1, ex_date, factor FROM given
  ON CONFLICT (ticker, ex_date) DO UPDATE SET factor = EXCLUDED.factor, updated_at = now()
  WHERE s.factor IS DISTINCT FROM EXCLUDED.factor
  RETURNING xmax = 0 AS inserted
)
SELECT (SELECT count(*) FROM upserted WHERE inserted) AS inserted, (SELECT count(*) FROM upserted WHERE NOT inserted) AS updated,
       (SELECT count(*) FROM gone) AS deleted;

-- REPLACE_DIVIDENDS
WITH given AS (
  SELECT * FROM unnest($2::date[], $3::date[], $4::date[], $5::date[], $6::numeric[])
    AS g(ex_date, declaration_date, record_date, payment_date, amount)
), gone AS (
  DELETE FROM dividends d WHERE d.ticker = $1 AND d.ex_date <> ALL ($2::date[]) RETURNING 1
), upserted AS (
  INSERT INTO dividends AS d (ticker, ex_date, declaration_date, record_date, payment_date, amount)
  SELECT $1, ex_date, declaration_date, record_date, payment_date, amount FROM given
  ON CONFLICT (ticker, ex_date) DO UPDATE SET
    declaration_date = EXCLUDED.declaration_date, record_date = EXCLUDED.record_date,
    payment_date = EXCLUDED.payment_date, amount = EXCLUDED.amount, updated_at = now()
  WHERE (d.declaration_date, d.record_date, d.payment_date, d.amount)
    IS DISTINCT FROM (EXCLUDED.declaration_date, EXCLUDED.record_date, EXCLUDED.payment_date, EXCLUDED.amount)
  RETURNING xmax = 0 AS inserted
)
SELECT (SELECT count(*) FROM upserted WHERE inserted) AS inserted, (SELECT count(*) FROM upserted WHERE NOT inserted) AS updated,
       (SELECT count(*) FROM gone) AS deleted;

-- getCorporateActions (1)
SELECT EXISTS (SELECT FROM market_data WHERE ticker = $1) OR EXISTS (SELECT FROM period_bars WHERE ticker = $1)
OR EXISTS (SELECT FROM splits WHERE ticker = $1) OR EXISTS (SELECT FROM dividends WHERE ticker = $1) AS known;

-- getCorporateActions (2)
SELECT ex_date, trim_scale(factor)::text AS factor FROM splits WHERE ticker = $1 ORDER BY ex_date;

-- getCorporateActions (3)
SELECT ex_date, declaration_date, record_date, payment_date, trim_scale(amount)::text AS amount
FROM dividends WHERE ticker = $1 ORDER BY ex_date;
