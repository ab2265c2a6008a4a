// Loads one ticker's bars whole or not at all: batches of one upsert statement each, all in one
// transaction; or, for a new ticker where the profile says so (db/driver/profile.ts), one transaction
// per batch with the load undone if it does not finish (db/repositories/load-journal.ts).
import type { Database } from '../db/driver/database.ts';
import { toDatabaseError } from '../db/driver/errors.ts';
import { beginStepLoad, finishStepLoad, loadStep, undoStepLoad } from '../db/repositories/load-journal.ts';
import { upsertBars, type UpsertCounts } from '../db/repositories/market-data.ts';
import { profileOf, type Profile } from '../db/driver/profile.ts';
import type { Bar } from '../model/bar.ts';

/** The last bar of each (ticker, date), in the order given. */
function dedupe(bars: readonly Bar[]): Bar[] {
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
  if (profile.newTickerSteps && rows.length > size && rows.every((b) => b.ticker === rows[0]!.ticker)) {
    const counts = await loadNewTickerInSteps(db, profile, rows, size, options);
    if (counts) return counts;
  }
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
      if (attempt >= 3 || !toDatabaseError(err).retryable) throw err;
    }
  }
}

/**
 * A ticker without bars, loaded a batch per transaction; undefined when it has bars (then the
 * caller loads it in one transaction). Readers see its history grow while it loads; a load that
 * fails is undone here, one cut short by a killed process when the database next opens.
 */
async function loadNewTickerInSteps(db: Database, profile: Profile, rows: readonly Bar[], size: number, options: LoadOptions): Promise<UpsertCounts | undefined> {
  const ticker = rows[0]!.ticker;
  // Every step on one connection: the embedded database tells the load's statements from others' by it.
  const inserted = await db.withSession(async (session) => {
    await undoStepLoad(session, ticker); // what an earlier load left, if its undo failed
    if (!(await beginStepLoad(session, ticker))) return undefined;
    let n = 0;
    try {
      for (let start = 0; start < rows.length; start += size) {
        const started = Date.now();
        n += await loadStep(session, ticker, rows.slice(start, start + size));
        options.onBatch?.(Math.min(start + size, rows.length));
        await profile.afterLoad(Date.now() - started, options.signal);
      }
      await finishStepLoad(session, ticker);
    } catch (err) {
      // If this fails too (the database is gone), the next load of the ticker or the next open undoes it.
      await undoStepLoad(db, ticker).catch(() => {});
      throw err;
    }
    return n;
  });
  if (inserted === undefined) return undefined;
  // Bars an API client wrote while the load ran were left as written.
  return { inserted, updated: 0, unchanged: rows.length - inserted };
}
