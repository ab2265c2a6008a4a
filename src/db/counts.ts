// The maintained counts (rows per day, rows per ticker) take writers' changes as appended deltas
// (migration 0005); folding them into the counts is this module's job. Readers never depend on it:
// they add whatever deltas are pending. Folding keeps those reads small.
import type { Queryable } from './database.ts';

/** Folds pending deltas into the counts; returns the delta rows folded (0 if another session is at it). */
export async function compactCounts(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ folded: number | string }>('SELECT market_data_compact_counts() AS folded', [], { name: 'compact_counts' });
  return Number(rows[0]!.folded);
}
