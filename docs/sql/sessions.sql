-- The SQL of src/db/sessions.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- FINGERPRINT
SELECT count(*) || ':' || coalesce(sum(date - date '${FIRST_DATE}'), 0) || ':' || count(*) FILTER (WHERE early_close) AS f
FROM exchange_sessions;

-- sync (1)
SELECT pg_advisory_xact_lock($1);

-- sync (2)
DELETE FROM exchange_sessions;

-- sync (3)
INSERT INTO exchange_sessions (date, n, early_close)
SELECT d, n, e FROM unnest($1::date[], $2::boolean[]) WITH ORDINALITY AS s(d, e, n);
