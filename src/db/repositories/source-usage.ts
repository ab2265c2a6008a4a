// Requests made to each source per New York day (migration 0007): kept in the database so that a
// restart does not reset a daily budget and every process on the database shares it.
import type { Queryable } from '../driver/database.ts';

/** Counts one request against the day's budget; false when the budget is used up. */
export async function takeRequest(db: Queryable, source: string, day: string, perDay: number): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO source_usage AS u (source, day, requests) SELECT $1, $2::date, 1 WHERE $3::int > 0
     ON CONFLICT (source, day) DO UPDATE SET requests = u.requests + 1 WHERE u.requests < $3::int
     RETURNING requests`,
    [source, day, perDay], { name: 'source_usage_take' });
  return rows.length > 0;
}

export async function requestsOn(db: Queryable, source: string, day: string): Promise<number> {
  const { rows } = await db.query<{ requests: number }>(
    'SELECT requests FROM source_usage WHERE source = $1 AND day = $2', [source, day], { name: 'source_usage_day' });
  return rows[0]?.requests ?? 0;
}
