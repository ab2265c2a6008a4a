// The maintained counts (rows per day, rows per ticker) take writers' changes as appended deltas
// (migration 0005); folding them into the counts is this module's job. Readers never depend on it:
// they add whatever deltas are pending. Folding keeps those reads small.
import type { Database, Queryable } from '../driver/database.ts';
import { profileOf } from '../driver/profile.ts';

/**
 * One fold: every pending delta, or the earliest days' deltas, about `maxRows` of them
 * (migration 0006); returns the delta rows folded (0 if another session is at it).
 */
export async function compactCounts(db: Queryable, maxRows?: number): Promise<number> {
  const { rows } = await db.query<{ folded: number | string }>('SELECT market_data_compact_counts($1::bigint) AS folded', [maxRows ?? null], { name: 'compact_counts' });
  return Number(rows[0]!.folded);
}

/**
 * Folds everything pending: in one statement, or `step` day deltas per statement where a
 * statement holds the database for everyone (the embedded database, see profile.ts).
 */
export async function foldCounts(db: Database, step = profileOf(db).countFoldStep): Promise<number> {
  if (step === undefined) return compactCounts(db);
  let folded = 0;
  for (let n; (n = await compactCounts(db, step)) > 0;) folded += n;
  return folded;
}
