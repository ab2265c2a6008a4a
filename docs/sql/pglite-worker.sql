-- The SQL of src/db/pglite-worker.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- SESSION_SETTINGS
SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';
