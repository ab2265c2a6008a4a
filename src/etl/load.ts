// Loads one ticker's bars whole or not at all: batches of one upsert statement each, all in one
// transaction — on a server and on the embedded database alike (see db/profile.ts for the sizes).
import type { Database } from '../db/database.ts';
import { upsertBars, type UpsertCounts } from '../db/market-data.ts';
import { profileOf } from '../db/profile.ts';
import type { Bar } from '../model/bar.ts';

/** The last bar of each (ticker, date), in the order given. */
export function dedupe(bars: readonly Bar[]): Bar[] {
  const byKey = new Map<string, Bar>();
  for (const bar of bars) byKey.set(`${bar.ticker}\u0000${bar.date}`, bar);
  return byKey.size === bars.length ? [...bars] : [...byKey.values()];
}

interface LoadOptions { batchSize?: number; onBatch?: (done: number) => void; signal?: AbortSignal }

export async function loadBars(db: Database, bars: readonly Bar[], options: LoadOptions = {}): Promise<UpsertCounts> {
  const rows = dedupe(bars);
  const profile = profileOf(db);
  const size = options.batchSize ?? profile.loadBatchSize;
  if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  // The rows of the first batches stay locked until COMMIT, so another writer holding a row of a
  // later batch and then wanting one of these deadlocks with the load. PostgreSQL then rolls back
  // one side; when it is this transaction, it is rerun whole.
  for (let attempt = 1; ; attempt++) {
    const total: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
    const started = Date.now();
    try {
      await db.transaction(async (tx) => {
        for (let start = 0; start < rows.length; start += size) {
          const counts = await upsertBars(tx, rows.slice(start, start + size));
          total.inserted += counts.inserted;
          total.updated += counts.updated;
          total.unchanged += counts.unchanged;
          options.onBatch?.(Math.min(start + size, rows.length));
        }
      });
      await profile.afterLoad(Date.now() - started, options.signal);
      return total;
    } catch (err) {
      if (attempt >= 3 || !['40P01', '40001'].includes((err as { code?: string }).code ?? '')) throw err;
    }
  }
}
