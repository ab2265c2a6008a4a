// The embedded database's way to load a ticker whole without stalling the API for the whole load.
// PGlite is one connection: while a statement or transaction runs, no API query does. Passing a
// ticker's 5,000 rows to the database costs about a third of an upsert of them (measured on PGlite
// 18: 17–30 ms of 80–140 ms), so the rows are first copied into a session-local staging table in
// small statements, with API queries served in between, and then merged into market_data by one
// statement — atomic, so a ticker is still loaded whole or not at all. The staging table is a
// TEMP table: nothing of it survives a crash, and a server database never sees it.
import type { Database, Queryable } from './database.ts';
import { barColumns, UNNEST_BARS, upsertFrom, type UpsertCounts } from './market-data.ts';
import type { Bar } from '../model/bar.ts';

const CREATE = `CREATE TEMP TABLE IF NOT EXISTS market_data_stage (
  ticker varchar(16) NOT NULL, date date NOT NULL, open numeric NOT NULL, high numeric NOT NULL,
  low numeric NOT NULL, close numeric NOT NULL, volume bigint NOT NULL
)`;
const created = new WeakSet<Database>();

/** Empties the staging table (creating it on first use in this session). */
export async function clearStage(db: Database): Promise<void> {
  if (!created.has(db)) {
    await db.exec(CREATE);
    created.add(db);
  }
  await db.exec('TRUNCATE market_data_stage');
}

export async function stageBars(db: Queryable, bars: readonly Bar[]): Promise<void> {
  await db.query(`INSERT INTO market_data_stage SELECT * FROM ${UNNEST_BARS}`, barColumns(bars));
}

/** Upserts every staged row into market_data in one statement (rows must be unique per ticker and date). */
export async function mergeStage(db: Queryable, staged: number): Promise<UpsertCounts> {
  const { rows } = await db.query<{ inserted: number; updated: number }>(upsertFrom('market_data_stage'));
  const { inserted, updated } = rows[0]!;
  return { inserted, updated, unchanged: staged - inserted - updated };
}
