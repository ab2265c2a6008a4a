// The maintained counts (rows per day, rows per ticker) take writers' changes as appended deltas
// (migration 0005); folding them into the counts is this module's job. Readers never depend on it:
// they add whatever deltas are pending. Folding keeps those reads small.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database, Queryable } from './database.ts';

/** Day deltas folded per statement on the embedded database: ~500 take it a few milliseconds. */
const EMBEDDED_STEP = 500;

/**
 * One fold: every pending delta, or the earliest days' deltas, about `maxRows` of them
 * (migration 0006); returns the delta rows folded (0 if another session is at it).
 */
export async function compactCounts(db: Queryable, maxRows?: number): Promise<number> {
  const { rows } = await db.query<{ folded: number | string }>('SELECT market_data_compact_counts($1::bigint) AS folded', [maxRows ?? null], { name: 'compact_counts' });
  return Number(rows[0]!.folded);
}

/**
 * Folds everything pending. On a server in one statement; on the embedded database `step` day
 * deltas per statement with a turn of the event loop between, because there a statement holds the
 * one connection the API also needs: the ~5,000 deltas of a full ticker history took 40–100 ms
 * folded at once.
 */
export async function foldCounts(db: Database, step = EMBEDDED_STEP): Promise<number> {
  if (db.kind === 'postgres') return compactCounts(db);
  let folded = 0;
  for (let n; (n = await compactCounts(db, step)) > 0;) {
    folded += n;
    await nextTurn();
  }
  return folded;
}
