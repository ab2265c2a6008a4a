-- The SQL of src/db/market-data-export.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- exportTickers
SELECT s.ticker FROM market_data_ticker_totals s
WHERE s.rows > 0 AND ($1::varchar[] IS NULL OR s.ticker = ANY($1::varchar[]))
  AND EXISTS (SELECT 1 FROM market_data m WHERE m.ticker = s.ticker
    AND m.date >= coalesce($2::date, '-infinity'::date) AND m.date <= coalesce($3::date, 'infinity'::date))
ORDER BY s.ticker;
