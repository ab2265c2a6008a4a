-- The SQL of src/db/ticker-datasets.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- tickerStates
SELECT t.ticker,
       (SELECT m.date FROM market_data m WHERE m.ticker = t.ticker ORDER BY m.date DESC LIMIT 1) AS newest,
       (SELECT jsonb_object_agg(d.dataset, d.fetched_at) FROM ticker_datasets d WHERE d.source = $2 AND d.ticker = t.ticker) AS fetched
FROM unnest($1::varchar[]) AS t(ticker);

-- markFetched
INSERT INTO ticker_datasets (source, ticker, dataset, fetched_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (source, ticker, dataset) DO UPDATE SET fetched_at = EXCLUDED.fetched_at;
