// Every stored ticker with its size, date range and newest close, for the dashboard's ticker list.
// Counts and change times come from market_data_ticker_totals (kept by the triggers of migrations
// 0004 and 0005); the rest are index probes per ticker, so the cost grows with tickers, not with rows.
import type { Queryable } from './database.ts';

export interface TickerListing {
  ticker: string;
  rows: number;
  first_date: string;
  last_date: string;
  /** Newest close and the one before it (null with a single row): the list shows the day's move. */
  close: string;
  previous_close: string | null;
  /** The last insert, update or delete of the ticker's rows. */
  updated_at: string;
  /** When Alpha Vantage last answered with data for it (null if the ETL never fetched it). */
  fetched_at: string | null;
}

export async function listTickerSummaries(db: Queryable): Promise<TickerListing[]> {
  const { rows } = await db.query<TickerListing>(
    `SELECT s.ticker, s.rows, f.first_date, l.last_date, l.close, l.previous_close, s.changed_at AS updated_at, e.fetched_at
     FROM market_data_ticker_totals s
     CROSS JOIN LATERAL (SELECT min(date) AS first_date FROM market_data WHERE ticker = s.ticker) AS f
     CROSS JOIN LATERAL (
       SELECT max(date) AS last_date,
              trim_scale((array_agg(close ORDER BY date DESC))[1]) AS close,
              trim_scale((array_agg(close ORDER BY date DESC))[2]) AS previous_close
       FROM (SELECT date, close FROM market_data WHERE ticker = s.ticker ORDER BY date DESC LIMIT 2) AS newest
     ) AS l
     LEFT JOIN LATERAL (
       SELECT fetched_at FROM etl_run_tickers
       WHERE ticker = s.ticker AND fetched_at IS NOT NULL ORDER BY fetched_at DESC LIMIT 1
     ) AS e ON true
     WHERE s.rows > 0
     ORDER BY s.ticker`,
    [],
    { name: 'market_data_ticker_summaries' },
  );
  return rows;
}
