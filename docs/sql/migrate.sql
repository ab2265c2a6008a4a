-- The SQL of src/db/migrate.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- appliedVersion
SELECT max(version) AS v FROM schema_migrations;

-- migrate (1)
SELECT pg_advisory_lock($1);

-- migrate (2)
CREATE TABLE IF NOT EXISTS schema_migrations (
version integer PRIMARY KEY,
name text NOT NULL,
checksum text NOT NULL,
applied_at timestamptz NOT NULL DEFAULT now());

-- migrate (3)
SELECT version, name, checksum FROM schema_migrations ORDER BY version;

-- migrate (4)
BEGIN;

-- migrate (5)
INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3);

-- migrate (6)
COMMIT;

-- migrate (7)
ROLLBACK;

-- migrate (8)
SELECT pg_advisory_unlock($1);
