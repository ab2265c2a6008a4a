// What the planner needs to know per ticker: its newest daily bar and when each dataset was last
// fetched with data (migration 0007).
import type { Dataset } from '../../sources/source.ts';
import type { Queryable } from '../driver/database.ts';

export interface TickerState {
  /** The newest daily bar stored, from any source (the ETL, the API, an import). */
  newestDaily?: string;
  /** When the source last answered each dataset with data. */
  fetchedAt: Partial<Record<Dataset, string>>;
  /** Sessions without a daily bar (db/repositories/quality.ts missingSessions), when the runner looked. */
  missing?: { recent: string[]; older: number };
}

/** One statement for every ticker of a run; fetches as recorded for `source`. */
export async function tickerStates(db: Queryable, source: string, tickers: readonly string[]): Promise<Map<string, TickerState>> {
  const { rows } = await db.query<{ ticker: string; newest: string | null; fetched: Record<string, string> | null }>(
    `SELECT t.ticker,
            (SELECT m.date FROM market_data m WHERE m.ticker = t.ticker ORDER BY m.date DESC LIMIT 1) AS newest,
            (SELECT jsonb_object_agg(d.dataset, d.fetched_at) FROM ticker_datasets d WHERE d.source = $2 AND d.ticker = t.ticker) AS fetched
     FROM unnest($1::varchar[]) AS t(ticker)`,
    [tickers, source], { name: 'ticker_states' });
  return new Map(rows.map((r) => [r.ticker, {
    newestDaily: r.newest ?? undefined,
    // jsonb carries timestamps in PostgreSQL's own ISO form; normalised to the API's.
    fetchedAt: Object.fromEntries(Object.entries(r.fetched ?? {}).map(([k, v]) => [k, new Date(v).toISOString()])),
  }]));
}

export async function markFetched(db: Queryable, source: string, ticker: string, dataset: Dataset, at: string): Promise<void> {
  await db.query(
    `INSERT INTO ticker_datasets (source, ticker, dataset, fetched_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (source, ticker, dataset) DO UPDATE SET fetched_at = EXCLUDED.fetched_at`,
    [source, ticker, dataset, at], { name: 'ticker_datasets_mark' });
}
