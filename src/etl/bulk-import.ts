// A bulk import of files (sources/csv/files.ts): every row is checked by the transformer's rules
// as it is read (one row in memory at a time on a server), rows that break one are listed with
// their reason, and the rest go in whole tickers, each whole or not at all, through the loader's
// upsert — rows that did not change are left untouched.
//
// On a server the checked rows are COPYed into a staging table of the import's session and merged
// from there (db/repositories/bulk-import.ts): the database does the heavy lifting at COPY's speed. The
// embedded database takes the loader's path (load.ts): its rows are held per ticker in memory and
// loaded in batches, as the ETL loads them (db/driver/profile.ts says why it differs).
import { foldCounts } from '../db/repositories/counts.ts';
import type { Database, Queryable } from '../db/driver/database.ts';
import { foldDerivedBars, foldDerivedBarsOnce } from '../db/repositories/derived-bars.ts';
import { COPY_STAGING, CREATE_STAGING, indexStaging, mergeStagedTicker, mergeStagedTickers } from '../db/repositories/bulk-import.ts';
import { upsertBars, type UpsertCounts } from '../db/repositories/market-data.ts';
import { profileOf } from '../db/driver/profile.ts';
import { parseTicker, type Bar } from '../model/bar.ts';
import { readRows } from '../sources/csv/files.ts';
import { loadBars } from './load.ts';
import { checkBar } from './transform.ts';

export interface ImportRejection { file: string; line: number; ticker: string; date: string; reason: string }
export interface TickerImport extends UpsertCounts { ticker: string; rows: number; error?: string }

export interface ImportResult {
  /** Rows read from the files. */
  read: number;
  rejected: number;
  /** The first rejections (all are counted in `rejected`). */
  rejections: ImportRejection[];
  tickers: TickerImport[];
  dryRun: boolean;
}

export interface ImportOptions {
  /** The ticker of files without a ticker column. */
  ticker?: string;
  /** Check and count what would load (inserted, updated, unchanged), then roll every ticker back. */
  dryRun?: boolean;
  now?: Date;
  maxRejections?: number;
  /** Reading: bytes of the files read; merging: tickers merged. */
  onProgress?: (phase: 'read' | 'merge', done: number, total: number) => void;
}

interface Accepted { bar: Bar; file: number; line: number }

/** Thrown inside a dry run's transaction to roll it back once the counts are in. */
class DryRun extends Error {
  constructor(readonly counts: UpsertCounts) {
    super('dry run');
  }
}

export async function bulkImport(db: Database, files: string[], sizes: number[], options: ImportOptions = {}): Promise<ImportResult> {
  const now = options.now ?? new Date();
  const maxRejections = options.maxRejections ?? 100;
  const result: ImportResult = { read: 0, rejected: 0, rejections: [], tickers: [], dryRun: Boolean(options.dryRun) };
  const reject = (r: ImportRejection) => {
    result.rejected++;
    if (result.rejections.length < maxRejections) result.rejections.push(r);
  };
  const totalBytes = sizes.reduce((a, b) => a + b, 0);

  /** Every row of every file, checked; the rejected ones listed on the way. */
  async function* accepted(): AsyncGenerator<Accepted[]> {
    let before = 0;
    for (let f = 0; f < files.length; f++) {
      for await (const rows of readRows(files[f]!, options.ticker, (bytes) => options.onProgress?.('read', before + bytes, totalBytes))) {
        const out: Accepted[] = [];
        for (const { line, ticker, raw } of rows) {
          result.read++;
          const symbol = parseTicker(ticker);
          const bar = symbol.ok ? checkBar(symbol.value, raw, now) : `ticker ${symbol.message}`;
          if (typeof bar === 'string') reject({ file: files[f]!, line, ticker: String(ticker).slice(0, 20), date: String(raw.date).slice(0, 40), reason: bar });
          else out.push({ bar, file: f, line });
        }
        yield out;
      }
      before += sizes[f]!;
    }
  }

  if (profileOf(db).importByCopy) await viaStaging(db, accepted(), files, reject, result, options);
  else await viaLoader(db, accepted(), files, reject, result, options);
  result.tickers.sort((a, b) => (a.ticker < b.ticker ? -1 : 1));
  if (!options.dryRun && result.tickers.some((t) => t.inserted + t.updated > 0)) {
    // As after an ETL run: fold the count deltas and remake derived bars now.
    await foldCounts(db).catch(() => {});
    await foldDerivedBars(db).catch(() => {});
  }
  return result;
}

type Reject = (r: ImportRejection) => void;

/**
 * Rows merged per statement on a server: tickers' rows go in a group at a time (whole tickers), so
 * a history of many short tickers needs few statements, and a group's transition tables (the count
 * and derived-bar triggers) stay small.
 */
const GROUP_ROWS = 50_000;
const FOLD_ROWS = 500_000;

async function viaStaging(db: Database, rows: AsyncGenerator<Accepted[]>, files: string[], reject: Reject, result: ImportResult, options: ImportOptions): Promise<void> {
  await db.withSession(async (session) => {
    await session.exec(CREATE_STAGING);
    try {
      // Rows staged per ticker, counted on the way (a GROUP BY afterwards would read them all again).
      const staged = new Map<string, number>();
      async function* copyText(): AsyncGenerator<string> {
        for await (const batch of rows) {
          let text = '';
          for (const { bar: b, file, line } of batch) {
            text += `${b.ticker}\t${b.date}\t${b.open}\t${b.high}\t${b.low}\t${b.close}\t${b.volume}\t${file}\t${line}\n`;
            staged.set(b.ticker, (staged.get(b.ticker) ?? 0) + 1);
          }
          if (text) yield text;
        }
      }
      await session.copyFrom!(COPY_STAGING, copyText());
      for (const d of await indexStaging(session)) {
        reject({ file: files[d.file]!, line: d.line, ticker: d.ticker, date: d.date, reason: 'duplicate date' });
        staged.set(d.ticker, staged.get(d.ticker)! - 1);
      }
      const tickers = [...staged].filter(([, n]) => n > 0).map(([ticker, n]) => ({ ticker, rows: n }))
        .sort((a, b) => (a.ticker < b.ticker ? -1 : 1));
      // While groups merge, the derived weeks and months of those merged before are remade on
      // another connection (the server's second core), FOLD_ROWS at a time: a fold reads all of
      // market_data whatever the number of tickers it remakes.
      let folding: Promise<void> | undefined;
      let unfolded = { tickers: 0, rows: 0 };
      let merged = 0;
      for (const group of groupsOf(tickers, GROUP_ROWS)) {
        result.tickers.push(...await mergeGroup(session, group, options.dryRun));
        merged += group.length;
        options.onProgress?.('merge', merged, tickers.length);
        if (options.dryRun) continue;
        unfolded = { tickers: unfolded.tickers + group.length, rows: unfolded.rows + group.reduce((a, t) => a + t.rows, 0) };
        if (!folding && unfolded.rows >= FOLD_ROWS) {
          folding = foldDerivedBarsOnce(db, unfolded.tickers).then(() => { folding = undefined; }, () => { folding = undefined; });
          unfolded = { tickers: 0, rows: 0 };
        }
      }
      await folding;
    } finally {
      await session.exec('DROP TABLE IF EXISTS import_staging');
    }
  });
}

type Staged = { ticker: string; rows: number };

/** Consecutive tickers, whole, about `rows` rows a group. */
function* groupsOf(tickers: Staged[], rows: number): Generator<Staged[]> {
  let group: Staged[] = [];
  let size = 0;
  for (const t of tickers) {
    group.push(t);
    size += t.rows;
    if (size >= rows) {
      yield group;
      group = [];
      size = 0;
    }
  }
  if (group.length) yield group;
}

/** A group of tickers in one statement and transaction; if that fails, each ticker alone. */
async function mergeGroup(session: Queryable, group: Staged[], dryRun: boolean | undefined): Promise<TickerImport[]> {
  if (group.length > 1) {
    await session.exec('BEGIN');
    try {
      const counts = await mergeStagedTickers(session, group);
      await session.exec(dryRun ? 'ROLLBACK' : 'COMMIT');
      return group.map(({ ticker, rows }) => ({ ticker, rows, ...counts.get(ticker)! }));
    } catch {
      await session.exec('ROLLBACK');
    }
  }
  const out: TickerImport[] = [];
  for (const { ticker, rows } of group) out.push(await inTransaction(session, ticker, rows, dryRun, () => mergeStagedTicker(session, ticker, rows)));
  return out;
}

/** One ticker in a transaction of the session: committed, or rolled back on an error or a dry run. */
async function inTransaction(session: Queryable, ticker: string, rows: number, dryRun: boolean | undefined, merge: () => Promise<UpsertCounts>): Promise<TickerImport> {
  await session.exec('BEGIN');
  try {
    const counts = await merge();
    await session.exec(dryRun ? 'ROLLBACK' : 'COMMIT');
    return { ticker, rows, ...counts };
  } catch (err) {
    await session.exec('ROLLBACK');
    return { ticker, rows, inserted: 0, updated: 0, unchanged: 0, error: (err as Error).message };
  }
}

async function viaLoader(db: Database, rows: AsyncGenerator<Accepted[]>, files: string[], reject: Reject, result: ImportResult, options: ImportOptions): Promise<void> {
  const byTicker = new Map<string, Accepted[]>();
  for await (const batch of rows) {
    for (const a of batch) {
      let list = byTicker.get(a.bar.ticker);
      if (!list) byTicker.set(a.bar.ticker, (list = []));
      list.push(a);
    }
  }
  const tickers = [...byTicker.keys()].sort();
  for (const [i, ticker] of tickers.entries()) {
    const all = byTicker.get(ticker)!;
    byTicker.delete(ticker);
    const seen = new Map<string, number>();
    for (const a of all) seen.set(a.bar.date, (seen.get(a.bar.date) ?? 0) + 1);
    const bars: Bar[] = [];
    for (const a of all) {
      if (seen.get(a.bar.date)! > 1) reject({ file: files[a.file]!, line: a.line, ticker, date: a.bar.date, reason: 'duplicate date' });
      else bars.push(a.bar);
    }
    bars.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    let entry: TickerImport;
    try {
      const counts = options.dryRun ? await dryLoad(db, bars) : await loadBars(db, bars);
      entry = { ticker, rows: bars.length, ...counts };
    } catch (err) {
      entry = { ticker, rows: bars.length, inserted: 0, updated: 0, unchanged: 0, error: (err as Error).message };
    }
    result.tickers.push(entry);
    options.onProgress?.('merge', i + 1, tickers.length);
  }
}

/** The loader's upserts in a transaction rolled back at the end: what a load would do. */
async function dryLoad(db: Database, bars: Bar[]): Promise<UpsertCounts> {
  const size = profileOf(db).loadBatchSize;
  try {
    await db.transaction(async (tx) => {
      const total: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
      for (let start = 0; start < bars.length; start += size) {
        const c = await upsertBars(tx, bars.slice(start, start + size));
        total.inserted += c.inserted;
        total.updated += c.updated;
        total.unchanged += c.unchanged;
      }
      throw new DryRun(total);
    });
  } catch (err) {
    if (err instanceof DryRun) return err.counts;
    throw err;
  }
  throw new Error('unreachable');
}
