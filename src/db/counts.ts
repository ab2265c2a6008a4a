// The maintained counts (rows per day, rows per ticker) take writers' changes as appended deltas
// (migration 0005); folding them into the counts is this module's job. Readers never depend on it:
// they add whatever deltas are pending. Folding keeps those reads small.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Queryable } from './database.ts';

/**
 * Folds pending deltas into the counts — all of them, or at most `maxRows` delta rows of each
 * kind (migration 0006); returns the delta rows folded (0 if another session is at it).
 */
export async function compactCounts(db: Queryable, maxRows?: number): Promise<number> {
  const { rows } = await db.query<{ folded: number | string }>('SELECT market_data_compact_counts($1::bigint) AS folded', [maxRows ?? null], { name: 'compact_counts' });
  return Number(rows[0]!.folded);
}

/**
 * Folds everything pending, `step` delta rows at a time, giving the event loop a turn between
 * steps: on the embedded database, other statements (the API's) run in between instead of
 * waiting for one long fold.
 */
export async function compactCountsInSteps(db: Queryable, step: number): Promise<number> {
  let folded = 0;
  for (let n; (n = await compactCounts(db, step)) > 0;) {
    folded += n;
    await nextTurn();
  }
  return folded;
}
