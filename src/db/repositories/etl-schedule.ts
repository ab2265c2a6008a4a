// The shared ETL schedule (etl_schedule): one row per schedule, whose next_run_at every replica
// reads and at most one moves forward per interval. The database's clock decides.
import type { Queryable } from '../driver/database.ts';

/**
 * Claims the due slot of `schedule`; true if this caller won it. Keeps the cadence
 * (next = previous + interval) unless a whole interval was missed.
 */
export async function claimSlot(db: Queryable, schedule: string, intervalMs: number, instanceId: string): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO etl_schedule AS s (name, next_run_at, claimed_by, claimed_at)
     VALUES ($1, now() + $2::float8 * interval '1 millisecond', $3, now())
     ON CONFLICT (name) DO UPDATE SET
       next_run_at = CASE WHEN s.next_run_at + $2::float8 * interval '1 millisecond' > now()
                          THEN s.next_run_at + $2::float8 * interval '1 millisecond'
                          ELSE now() + $2::float8 * interval '1 millisecond' END,
       claimed_by = EXCLUDED.claimed_by, claimed_at = now()
     WHERE s.next_run_at <= now()
     RETURNING claimed_at`,
    [schedule, intervalMs, instanceId]);
  return rows.length === 1;
}

/** Milliseconds until `schedule` is next due by the database's clock (0 when due or never claimed). */
export async function untilNextRun(db: Queryable, schedule: string): Promise<{ ms: number; at: string | null }> {
  const { rows } = await db.query<{ at: string; ms: number }>(
    `SELECT next_run_at AS at, greatest(0, extract(epoch FROM next_run_at - now()) * 1000)::float8 AS ms
     FROM etl_schedule WHERE name = $1`, [schedule]);
  return rows[0] ? { ms: Number(rows[0].ms), at: rows[0].at } : { ms: 0, at: null };
}
