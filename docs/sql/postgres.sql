-- The SQL of src/db/postgres.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- openPostgres.transaction (1)
BEGIN;

-- openPostgres.transaction (2)
COMMIT;

-- openPostgres.transaction (3)
ROLLBACK;

-- openPostgres.ping
SELECT 1;
