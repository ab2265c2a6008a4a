-- The SQL of src/db/bulk-import.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- CREATE_STAGING
DROP TABLE IF EXISTS import_staging;
CREATE TEMP TABLE import_staging (
  ticker varchar(16) NOT NULL, date date NOT NULL,
  open numeric(15,6) NOT NULL, high numeric(15,6) NOT NULL, low numeric(15,6) NOT NULL, close numeric(15,6) NOT NULL,
  volume bigint NOT NULL, file int NOT NULL, line bigint NOT NULL
);

-- COPY_STAGING
COPY import_staging (ticker, date, open, high, low, close, volume, file, line) FROM STDIN;

-- INDEX_STAGING
CREATE INDEX ON import_staging (ticker, date); ANALYZE import_staging;

-- removeStagedDuplicates
DELETE FROM import_staging s
USING (SELECT ticker, date FROM import_staging GROUP BY ticker, date HAVING count(*) > 1) d
WHERE s.ticker = d.ticker AND s.date = d.date
RETURNING s.ticker, s.date::text AS date, s.file, s.line::int AS line;

-- stagedTickers
SELECT ticker, count(*)::int AS rows FROM import_staging GROUP BY ticker ORDER BY ticker;

-- MERGE_SQL
(SELECT ticker, date, open, high, low, close, volume FROM import_staging WHERE ticker = $1) AS s;
