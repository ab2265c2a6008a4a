// A new ticker's bars loaded in steps, each its own transaction, with the load undone as a whole
// when it does not finish (migration 0012). Used where one long transaction would hold the
// database for everyone (profile.ts: newTickerSteps); a server loads a ticker in one transaction.
import type { Bar } from '../../model/bar.ts';
import type { Queryable } from '../driver/database.ts';
import { barColumns, UNNEST_BARS } from './market-data.ts';

/** Starts a load of `ticker` if it has no bars yet; false when it has some (load it in one transaction). */
export async function beginStepLoad(db: Queryable, ticker: string): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO load_journal (ticker) SELECT $1::varchar
     WHERE NOT EXISTS (SELECT 1 FROM market_data WHERE ticker = $1)
     RETURNING ticker`, [ticker], { name: 'load_journal_begin' });
  return rows.length > 0;
}

// One statement: the bars and the journal's note of their transaction commit together. A bar an
// API client wrote meanwhile is left as it is (DO NOTHING), so undoing the load never removes it.
const STEP_SQL = `WITH inserted AS (
  INSERT INTO market_data (ticker, date, open, high, low, close, volume)
  SELECT ticker, date, open, high, low, close, volume FROM ${UNNEST_BARS}
  ON CONFLICT (ticker, date) DO NOTHING
  RETURNING 1
), noted AS (
  UPDATE load_journal SET xids = array_append(xids, pg_current_xact_id()::text::bigint % 4294967296)
  WHERE ticker = $8 RETURNING 1
)
SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM noted)::int AS noted`;

/** Writes one step of the load begun for the bars' ticker; returns the bars inserted. */
export async function loadStep(db: Queryable, ticker: string, bars: readonly Bar[]): Promise<number> {
  const { rows } = await db.query<{ inserted: number; noted: number }>(STEP_SQL, [...barColumns(bars), ticker], { name: 'load_journal_step' });
  if (rows[0]!.noted !== 1) throw new Error(`the load of ${ticker} was undone while it ran`);
  return rows[0]!.inserted;
}

/** The load is whole: its steps stay. */
export async function finishStepLoad(db: Queryable, ticker: string): Promise<void> {
  await db.query('DELETE FROM load_journal WHERE ticker = $1', [ticker], { name: 'load_journal_finish' });
}

// The rows a step inserted still carry its transaction id (xmin); a row since changed by someone
// else carries theirs and stays.
const UNDO_SQL = (where: string) => `WITH undone AS (DELETE FROM load_journal WHERE ${where} RETURNING ticker, xids)
DELETE FROM market_data m USING undone u WHERE m.ticker = u.ticker AND m.xmin::text::bigint = ANY(u.xids)`;

/** Removes what an unfinished load of `ticker` wrote (nothing if none is recorded); returns the rows removed. */
export async function undoStepLoad(db: Queryable, ticker: string): Promise<number> {
  return (await db.query(UNDO_SQL('ticker = $1'), [ticker], { name: 'load_journal_undo' })).rowCount;
}

/** At open: undoes every load a killed process left unfinished. Before migration 0012, there are none. */
export async function undoInterruptedLoads(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ present: boolean }>(`SELECT to_regclass('load_journal') IS NOT NULL AS present`);
  if (!rows[0]!.present) return 0;
  return (await db.query(UNDO_SQL('true'))).rowCount;
}
