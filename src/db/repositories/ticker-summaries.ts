// Every stored ticker with its size, date range and newest close, for the dashboard's ticker list.
// Counts and change times come from market_data_ticker_totals (kept by the triggers of migrations
// 0004 and 0005); the rest are index probes per ticker, so the cost grows with tickers, not with rows.
import { adjustedPrice, FACTORS_JOIN, type Adjustment } from './adjustments.ts';
import type { Queryable } from '../driver/database.ts';

// When Alpha Vantage last answered a ticker with daily bars.
const FETCHED = `LEFT JOIN LATERAL (
       SELECT fetched_at FROM etl_run_tickers
       WHERE ticker = s.ticker AND fetched_at IS NOT NULL ORDER BY fetched_at DESC LIMIT 1
     ) AS e ON true`;

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

export async function listTickerSummaries(db: Queryable, adjustment: Adjustment = 'raw'): Promise<TickerListing[]> {
  const { rows } = await db.query<TickerListing>(adjustment === 'raw' ? RAW_SQL : adjustedSql(adjustment), [],
    { name: `market_data_ticker_summaries_${adjustment}` });
  return rows;
}

const RAW_SQL = `SELECT s.ticker, s.rows, f.first_date, l.last_date, l.close, l.previous_close, s.changed_at AS updated_at, e.fetched_at
     FROM market_data_ticker_totals s
     CROSS JOIN LATERAL (SELECT min(date) AS first_date FROM market_data WHERE ticker = s.ticker) AS f
     CROSS JOIN LATERAL (
       SELECT max(date) AS last_date,
              trim_scale((array_agg(close ORDER BY date DESC))[1]) AS close,
              trim_scale((array_agg(close ORDER BY date DESC))[2]) AS previous_close
       FROM (SELECT date, close FROM market_data WHERE ticker = s.ticker ORDER BY date DESC LIMIT 2) AS newest
     ) AS l
     ${FETCHED}
     WHERE s.rows > 0
     ORDER BY s.ticker`;

/** The same with the two newest closes adjusted (adjustments.ts): the day's move across a split is real. */
function adjustedSql(adjustment: Exclude<Adjustment, 'raw'>): string {
  return `WITH page AS (
  SELECT s.ticker, s.rows, s.changed_at, n.date, n.close
  FROM market_data_ticker_totals s
  CROSS JOIN LATERAL (SELECT date, close FROM market_data WHERE ticker = s.ticker ORDER BY date DESC LIMIT 2) AS n
  WHERE s.rows > 0
),
adjusted AS (
  SELECT p.ticker, p.rows, p.changed_at, p.date, ${adjustedPrice('p.close', adjustment)} AS close FROM page p ${FACTORS_JOIN}
)
SELECT s.ticker, s.rows, f.first_date, l.last_date, l.close, l.previous_close, s.changed_at AS updated_at, e.fetched_at
FROM (SELECT DISTINCT ticker, rows, changed_at FROM adjusted) AS s
CROSS JOIN LATERAL (SELECT min(date) AS first_date FROM market_data WHERE ticker = s.ticker) AS f
CROSS JOIN LATERAL (
  SELECT max(date) AS last_date, (array_agg(close ORDER BY date DESC))[1] AS close, (array_agg(close ORDER BY date DESC))[2] AS previous_close
  FROM adjusted a WHERE a.ticker = s.ticker
) AS l
${FETCHED}
ORDER BY s.ticker`;
}
