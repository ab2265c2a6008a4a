-- The SQL of src/db/etl-schedule.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- claimSlot
INSERT INTO etl_schedule AS s (name, next_run_at, claimed_by, claimed_at)
VALUES ($1, now() + $2::float8 * interval '1 millisecond', $3, now())
ON CONFLICT (name) DO UPDATE SET
  next_run_at = CASE WHEN s.next_run_at + $2::float8 * interval '1 millisecond' > now()
                     THEN s.next_run_at + $2::float8 * interval '1 millisecond'
                     ELSE now() + $2::float8 * interval '1 millisecond' END,
  claimed_by = EXCLUDED.claimed_by, claimed_at = now()
WHERE s.next_run_at <= now()
RETURNING claimed_at;

-- untilNextRun
SELECT next_run_at AS at, greatest(0, extract(epoch FROM next_run_at - now()) * 1000)::float8 AS ms
FROM etl_schedule WHERE name = $1;
