// A bulk import's staging on a server: the checked rows are COPYed into a temporary table of the
// import's session, duplicates found there, and each ticker merged into market_data by the
// loader's upsert (market-data.ts) in a transaction of its own: one ticker whole or not at all,
// rows whose values did not change left untouched (updated_at too).
import type { Queryable } from './database.ts';
import { upsertFrom, type UpsertCounts } from './market-data.ts';

export const CREATE_STAGING = `DROP TABLE IF EXISTS import_staging;
CREATE TEMP TABLE import_staging (
  ticker varchar(16) NOT NULL, date date NOT NULL,
  open numeric(15,6) NOT NULL, high numeric(15,6) NOT NULL, low numeric(15,6) NOT NULL, close numeric(15,6) NOT NULL,
  volume bigint NOT NULL, file int NOT NULL, line bigint NOT NULL
)`;

/** Text format: the rows are checked first, so no value holds a tab, a backslash or a newline. */
export const COPY_STAGING = 'COPY import_staging (ticker, date, open, high, low, close, volume, file, line) FROM STDIN';

/** After the COPY: the merge reads one ticker at a time through this index. */
export const INDEX_STAGING = 'CREATE INDEX ON import_staging (ticker, date); ANALYZE import_staging';

export interface StagedDuplicate { ticker: string; date: string; file: number; line: number }

/** Rows whose (ticker, date) was staged more than once: neither copy is trusted, all are removed. */
export async function removeStagedDuplicates(session: Queryable): Promise<StagedDuplicate[]> {
  const { rows } = await session.query<StagedDuplicate>(`DELETE FROM import_staging s
USING (SELECT ticker, date FROM import_staging GROUP BY ticker, date HAVING count(*) > 1) d
WHERE s.ticker = d.ticker AND s.date = d.date
RETURNING s.ticker, s.date::text AS date, s.file, s.line::int AS line`);
  return rows;
}

export async function stagedTickers(session: Queryable): Promise<{ ticker: string; rows: number }[]> {
  const { rows } = await session.query<{ ticker: string; rows: number }>(
    'SELECT ticker, count(*)::int AS rows FROM import_staging GROUP BY ticker ORDER BY ticker');
  return rows;
}

const MERGE_SQL = upsertFrom('(SELECT ticker, date, open, high, low, close, volume FROM import_staging WHERE ticker = $1) AS s');

/** One ticker's staged rows into market_data (the caller holds the transaction). */
export async function mergeStagedTicker(session: Queryable, ticker: string, staged: number): Promise<UpsertCounts> {
  const { rows } = await session.query<{ inserted: number; updated: number }>(MERGE_SQL, [ticker], { name: 'import_merge_ticker' });
  const { inserted, updated } = rows[0]!;
  return { inserted: Number(inserted), updated: Number(updated), unchanged: staged - Number(inserted) - Number(updated) };
}
