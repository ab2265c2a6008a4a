-- The SQL of src/db/counts.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- compactCounts
SELECT market_data_compact_counts($1::bigint) AS folded;
