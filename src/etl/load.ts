// Loads one ticker's bars: batches of one upsert statement each, all in one transaction, so a
// ticker is loaded whole or not at all.
import type { Database } from '../db/database.ts';
import { upsertBars, type UpsertCounts } from '../db/market-data.ts';
import type { Bar } from '../model/bar.ts';

/**
 * Rows per statement. PGlite runs on the main thread, so its batches are smaller and the event
 * loop gets a turn between them (STACK.md, pitfall 2).
 */
export const BATCH_SIZE = { postgres: 5000, pglite: 1000 } as const;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The last bar of each (ticker, date), in the order given. */
export function dedupe(bars: readonly Bar[]): Bar[] {
  const byKey = new Map<string, Bar>();
  for (const bar of bars) byKey.set(`${bar.ticker}\u0000${bar.date}`, bar);
  return byKey.size === bars.length ? [...bars] : [...byKey.values()];
}

export async function loadBars(db: Database, bars: readonly Bar[], options: { batchSize?: number; onBatch?: (done: number) => void } = {}): Promise<UpsertCounts> {
  const rows = dedupe(bars);
  const size = options.batchSize ?? BATCH_SIZE[db.kind];
  if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  // The rows of the first batches stay locked until COMMIT, so another writer holding a row of a
  // later batch and then wanting one of these deadlocks with the load. PostgreSQL then rolls back
  // one side; when it is this transaction, it is rerun whole.
  for (let attempt = 1; ; attempt++) {
    const total: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
    try {
      await db.transaction(async (tx) => {
        for (let start = 0; start < rows.length; start += size) {
          const counts = await upsertBars(tx, rows.slice(start, start + size));
          total.inserted += counts.inserted;
          total.updated += counts.updated;
          total.unchanged += counts.unchanged;
          options.onBatch?.(Math.min(start + size, rows.length));
          if (db.kind === 'pglite') await yieldToEventLoop();
        }
      });
      return total;
    } catch (err) {
      if (attempt >= 3 || !['40P01', '40001'].includes((err as { code?: string }).code ?? '')) throw err;
    }
  }
}
