// A bulk import's staging on a server: the checked rows are COPYed into a temporary table of the
// import's session, duplicates found there by the index the merge reads through, and the tickers merged into market_data by the
// loader's upsert (market-data.ts), a group of them per statement and transaction (one ticker
// alone when its group failed): each ticker whole or not at all, rows whose values did not change
// left untouched (updated_at too).
import type { Queryable } from '../driver/database.ts';
import { upsertFrom, type UpsertCounts } from './market-data.ts';
import { toDatabaseError } from '../driver/errors.ts';

export const CREATE_STAGING = `DROP TABLE IF EXISTS import_staging;
CREATE TEMP TABLE import_staging (
  ticker varchar(16) NOT NULL, date date NOT NULL,
  open numeric(15,6) NOT NULL, high numeric(15,6) NOT NULL, low numeric(15,6) NOT NULL, close numeric(15,6) NOT NULL,
  volume bigint NOT NULL, file int NOT NULL, line bigint NOT NULL
)`;

/** Text format: the rows are checked first, so no value holds a tab, a backslash or a newline. */
export const COPY_STAGING = 'COPY import_staging (ticker, date, open, high, low, close, volume, file, line) FROM STDIN';

const UNIQUE_INDEX = 'CREATE UNIQUE INDEX import_staging_key ON import_staging (ticker, date)';

export interface StagedDuplicate { ticker: string; date: string; file: number; line: number }

/**
 * After the COPY: the merge reads tickers through a unique (ticker, date) index, whose build also
 * tells whether a (ticker, date) came twice. Only then are such rows looked for (a GROUP BY over
 * every staged row) and removed, neither copy trusted; they are returned.
 */
export async function indexStaging(session: Queryable): Promise<StagedDuplicate[]> {
  let removed: StagedDuplicate[] = [];
  try {
    await session.exec(UNIQUE_INDEX);
  } catch (err) {
    if (toDatabaseError(err).kind !== 'unique') throw err;
    removed = await removeStagedDuplicates(session);
    await session.exec(UNIQUE_INDEX);
  }
  await session.exec('ANALYZE import_staging');
  return removed;
}

async function removeStagedDuplicates(session: Queryable): Promise<StagedDuplicate[]> {
  const { rows } = await session.query<StagedDuplicate>(`DELETE FROM import_staging s
USING (SELECT ticker, date FROM import_staging GROUP BY ticker, date HAVING count(*) > 1) d
WHERE s.ticker = d.ticker AND s.date = d.date
RETURNING s.ticker, s.date::text AS date, s.file, s.line::int AS line`);
  return rows;
}

const MERGE_SQL = upsertFrom('(SELECT ticker, date, open, high, low, close, volume FROM import_staging WHERE ticker = $1) AS s');

/** One ticker's staged rows into market_data (the caller holds the transaction). */
export async function mergeStagedTicker(session: Queryable, ticker: string, staged: number): Promise<UpsertCounts> {
  const { rows } = await session.query<{ inserted: number; updated: number }>(MERGE_SQL, [ticker], { name: 'import_merge_ticker' });
  const { inserted, updated } = rows[0]!;
  return { inserted: Number(inserted), updated: Number(updated), unchanged: staged - Number(inserted) - Number(updated) };
}

// In date order: market_data's (date, ticker) index then takes the group in one pass over its
// pages, not one pass per ticker.
const MERGE_MANY_SQL = upsertFrom(
  '(SELECT ticker, date, open, high, low, close, volume FROM import_staging WHERE ticker = ANY($1::varchar[]) ORDER BY date, ticker) AS s', true);

/** Several tickers' staged rows into market_data in one statement (the caller holds the transaction). */
export async function mergeStagedTickers(session: Queryable, tickers: { ticker: string; rows: number }[]): Promise<Map<string, UpsertCounts>> {
  const { rows } = await session.query<{ ticker: string; inserted: number; updated: number }>(
    MERGE_MANY_SQL, [tickers.map((t) => t.ticker)], { name: 'import_merge_tickers' });
  const changed = new Map(rows.map((r) => [r.ticker, r]));
  return new Map(tickers.map(({ ticker, rows: staged }) => {
    const inserted = Number(changed.get(ticker)?.inserted ?? 0);
    const updated = Number(changed.get(ticker)?.updated ?? 0);
    return [ticker, { inserted, updated, unchanged: staged - inserted - updated }];
  }));
}
