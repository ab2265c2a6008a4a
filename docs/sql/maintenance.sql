-- The SQL of src/db/maintenance.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- statisticsStale
SELECT c.reltuples < 0 OR abs(t.rows - c.reltuples) > 50 + 0.1 * c.reltuples AS stale
FROM pg_class c, market_data_total t WHERE c.oid = 'market_data'::regclass;

-- Maintenance.start (1)
VACUUM (ANALYZE, SKIP_LOCKED) ${FOLDED_TABLES.join(', ')};

-- Maintenance.start.tidy (1)
VACUUM (ANALYZE) ${SMALL_TABLES.join(', ')};

-- Maintenance.start.tidy (2)
ANALYZE market_data;

-- Maintenance.start (2)
VACUUM market_data;
