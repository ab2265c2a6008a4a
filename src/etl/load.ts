// Loads one ticker's bars whole or not at all. On a server: batches of one upsert statement each,
// all in one transaction. On the embedded database: staged in small statements, then merged by
// one (see db/market-data-stage.ts), so API queries are served while the rows are passed in.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database } from '../db/database.ts';
import { clearStage, mergeStage, stageBars } from '../db/market-data-stage.ts';
import { upsertBars, type UpsertCounts } from '../db/market-data.ts';
import type { Bar } from '../model/bar.ts';

/** Rows per statement: per upsert on a server, per staging insert on PGlite (2–4 ms each there). */
export const BATCH_SIZE = { postgres: 5000, pglite: 500 } as const;

/** The last bar of each (ticker, date), in the order given. */
export function dedupe(bars: readonly Bar[]): Bar[] {
  const byKey = new Map<string, Bar>();
  for (const bar of bars) byKey.set(`${bar.ticker}\u0000${bar.date}`, bar);
  return byKey.size === bars.length ? [...bars] : [...byKey.values()];
}

interface LoadOptions { batchSize?: number; onBatch?: (done: number) => void }

export async function loadBars(db: Database, bars: readonly Bar[], options: LoadOptions = {}): Promise<UpsertCounts> {
  const rows = dedupe(bars);
  const size = options.batchSize ?? BATCH_SIZE[db.kind];
  if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  if (db.kind === 'pglite') return staged(db, () => loadStaged(db, rows, size, options));
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
        }
      });
      return total;
    } catch (err) {
      if (attempt >= 3 || !['40P01', '40001'].includes((err as { code?: string }).code ?? '')) throw err;
    }
  }
}

/** One staged load at a time per embedded database: they share its staging table. */
const stageQueue = new WeakMap<Database, Promise<unknown>>();
function staged<T>(db: Database, fn: () => Promise<T>): Promise<T> {
  const run = (stageQueue.get(db) ?? Promise.resolve()).catch(() => {}).then(fn);
  stageQueue.set(db, run);
  return run;
}

async function loadStaged(db: Database, rows: Bar[], size: number, options: LoadOptions): Promise<UpsertCounts> {
  await clearStage(db); // the last load's rows, or those of one that failed half-way
  for (let start = 0; start < rows.length; start += size) {
    await stageBars(db, rows.slice(start, start + size));
    options.onBatch?.(Math.min(start + size, rows.length));
    await nextTurn(); // lets requests that arrived meanwhile queue their queries
  }
  return mergeStage(db, rows.length); // the staged rows stay until the next load clears them
}
