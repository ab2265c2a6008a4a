-- The SQL of src/db/replicas.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- STATUS_SQL
SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay_lsn,
CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS paused;

-- REPLAY_SQL
SELECT pg_last_wal_replay_lsn()::text AS lsn;

-- openReplicas.check
SELECT pg_current_wal_lsn()::text AS lsn;

-- openReplicas.lsnBatcher
SELECT pg_current_wal_insert_lsn()::text AS lsn;
