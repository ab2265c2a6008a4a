-- The SQL of src/db/source-usage.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- takeRequest
INSERT INTO source_usage AS u (source, day, requests) SELECT $1, $2::date, 1 WHERE $3::int > 0
ON CONFLICT (source, day) DO UPDATE SET requests = u.requests + 1 WHERE u.requests < $3::int
RETURNING requests;

-- requestsOn
SELECT requests FROM source_usage WHERE source = $1 AND day = $2;
