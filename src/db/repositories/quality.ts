// Data quality against the exchange calendar (exchange_sessions, migration 0011), in SQL: one
// pass over the bars with a window for the previous close, so the report for every ticker is a
// single statement whatever the number of rows. What the findings mean: docs/quality.md.
import { latestPublishedSession, PUBLISHED_BY_MINUTES } from '../../etl/freshness.ts';
import { FIRST_DATE, LAST_DATE } from '../../model/calendar.ts';
import { MOVE_THRESHOLD, UNIT_FACTOR, UNIT_TOLERANCE } from '../../model/quality.ts';
import type { Database } from '../driver/database.ts';
import { profileOf } from '../driver/profile.ts';
import { ensureSessions } from './sessions.ts';

interface QualityOptions {
  /** The latest session whose bar can have been published now (etl/freshness.ts latestPublishedSession). */
  latestSession: string;
  /** Minutes after midnight, New York, when a session's bar is final (PUBLISHED_BY_MINUTES). */
  publishedByMinutes: number;
}

/** What "now" means for the report: the latest published session and the publication minute. */
export const qualityOptions = (now = new Date()): QualityOptions =>
  ({ latestSession: latestPublishedSession(now), publishedByMinutes: PUBLISHED_BY_MINUTES });

interface QualityCounts {
  ticker: string;
  first_date: string;
  last_date: string;
  /** The range assessed: first/last bar, or the requested range. */
  from_date: string;
  to_date: string;
  expected: number;
  stored: number;
  missing: number;
  /** Sessions published after the newest bar. */
  sessions_behind: number;
  non_session: number;
  possible_split: number;
  unit_error: number;
  zero_volume: number;
  provisional: number;
}

type FindingKind = 'missing' | 'non_session' | 'possible_split' | 'unit_error' | 'zero_volume' | 'provisional';

interface FindingRow {
  kind: FindingKind;
  date: string;
  close: string | null;
  previous_close: string | null;
  volume: number | null;
}

// $1 ticker (null: all), $2/$3 requested range (null: every bar), $4 the publication minute; the
// counts add $5, the latest published session.
//
// The one pass over every bar is the window giving each bar the close before it; it keeps only
// the few bars with something to report, and the rest is counted from cheaper sources: the bars
// on days without a session by probing the date index with those ~5,000 days, the bars per ticker
// from the counts kept by triggers (migration 0005).
const RANGE = `m.date >= coalesce($2::date, '-infinity') AND m.date <= coalesce($3::date, 'infinity')`;
const flaggedSql = (tickerIs: string) => `
fetched AS (
  SELECT ticker, max(fetched_at) AS fetched_at FROM ticker_datasets WHERE dataset = 'daily' GROUP BY ticker
),
bars AS (
  SELECT m.ticker, m.date, m.close, m.volume, m.updated_at, lag(m.close) OVER (PARTITION BY m.ticker ORDER BY m.date) AS previous_close
  FROM market_data m WHERE ${tickerIs} AND ${RANGE}
),
-- A move beyond the threshold either way, zero volume, or written before the next day began in
-- UTC (18:00 New York is earlier): only these can be findings. NUMERIC products, no division.
candidates AS (
  SELECT b.*, s.n FROM bars b LEFT JOIN exchange_sessions s ON s.date = b.date
  WHERE b.volume = 0 OR b.updated_at < b.date + 1
     OR b.close * ${1 - MOVE_THRESHOLD} > b.previous_close OR b.previous_close * ${1 - MOVE_THRESHOLD} > b.close
),
flagged AS (
  SELECT c.ticker, c.date, c.close, c.previous_close, c.volume,
         c.n IS NOT NULL AND c.volume = 0 AS zero_volume,
         c.updated_at < r.published_at AND coalesce(f.fetched_at < r.published_at, true) AS provisional,
         r.unit AS unit_error,
         coalesce(r.ratio > 1 / (1 - ${MOVE_THRESHOLD}) OR r.ratio < 1 - ${MOVE_THRESHOLD}, false) AND NOT r.unit
           AND NOT EXISTS (SELECT FROM splits sp WHERE sp.ticker = c.ticker AND sp.ex_date = c.date) AS possible_split
  FROM candidates c
  -- The split factor that would explain the move (2: prices halved). Only for the candidates.
  CROSS JOIN LATERAL (SELECT c.previous_close / c.close AS ratio) AS q
  CROSS JOIN LATERAL (SELECT q.ratio,
                             coalesce(abs(q.ratio / ${UNIT_FACTOR} - 1) <= ${UNIT_TOLERANCE} OR abs(q.ratio * ${UNIT_FACTOR} - 1) <= ${UNIT_TOLERANCE}, false) AS unit,
                             (c.date + make_interval(mins => $4::int)) AT TIME ZONE 'America/New_York' AS published_at) AS r
  LEFT JOIN fetched f ON f.ticker = c.ticker
),
closed_days AS (
  SELECT d::date AS date FROM generate_series(date '${FIRST_DATE}', date '${LAST_DATE}', interval '1 day') AS d
  WHERE NOT EXISTS (SELECT FROM exchange_sessions s WHERE s.date = d::date)
),
non_session AS (
  SELECT m.ticker, m.date, m.close, m.volume FROM closed_days c JOIN market_data m ON m.date = c.date
  WHERE ${tickerIs} AND ${RANGE}
)`;

// The range of each ticker: its bars, or the requested dates (the end no later than the latest
// published session, unless a bar is newer). Expected sessions are a difference of session numbers.
const countsSql = (one: boolean) => `WITH ${flaggedSql(one ? 'm.ticker = $1' : '$1::varchar IS NULL AND m.ticker BETWEEN $6::varchar AND $7::varchar')},
base AS (
  SELECT t.ticker, r.first_date, r.last_date, r.bars,
         coalesce($2::date, r.first_date) AS from_date,
         CASE WHEN $3::date IS NULL THEN r.last_date ELSE least($3::date, greatest($5::date, r.last_date)) END AS to_date
  FROM market_data_ticker_totals t
  CROSS JOIN LATERAL (SELECT
      (SELECT min(m.date) FROM market_data m WHERE m.ticker = t.ticker AND ${RANGE}) AS first_date,
      (SELECT max(m.date) FROM market_data m WHERE m.ticker = t.ticker AND ${RANGE}) AS last_date,
      CASE WHEN $2::date IS NULL AND $3::date IS NULL THEN t.rows
           ELSE (SELECT count(*) FROM market_data m WHERE m.ticker = t.ticker AND ${RANGE}) END AS bars) AS r
  WHERE t.rows > 0 AND ${one ? 't.ticker = $1' : 't.ticker BETWEEN $6 AND $7'} AND r.first_date IS NOT NULL
),
outside AS ( -- bars beyond the calendar's years: neither sessions nor closed days
  SELECT m.ticker, count(*) AS n FROM market_data m
  WHERE (m.date < '${FIRST_DATE}' OR m.date > '${LAST_DATE}') AND ${one ? 'm.ticker = $1' : 'm.ticker BETWEEN $6 AND $7'} AND ${RANGE} GROUP BY m.ticker
),
flag_counts AS (
  SELECT ticker, count(*) FILTER (WHERE possible_split) AS possible_split, count(*) FILTER (WHERE unit_error) AS unit_error,
         count(*) FILTER (WHERE zero_volume) AS zero_volume, count(*) FILTER (WHERE provisional) AS provisional
  FROM flagged GROUP BY ticker
),
closed_counts AS (SELECT ticker, count(*) AS n FROM non_session GROUP BY ticker),
counted AS (
  SELECT b.*, b.bars - coalesce(cc.n, 0) - coalesce(o.n, 0) AS stored, coalesce(cc.n, 0) AS non_session,
         coalesce(fc.possible_split, 0) AS possible_split, coalesce(fc.unit_error, 0) AS unit_error,
         coalesce(fc.zero_volume, 0) AS zero_volume, coalesce(fc.provisional, 0) AS provisional
  FROM base b
  LEFT JOIN closed_counts cc ON cc.ticker = b.ticker
  LEFT JOIN outside o ON o.ticker = b.ticker
  LEFT JOIN flag_counts fc ON fc.ticker = b.ticker
)
SELECT p.ticker, p.first_date, p.last_date, p.from_date, p.to_date,
       greatest(coalesce(hi.n - lo.n + 1, 0), 0) AS expected, p.stored,
       greatest(coalesce(hi.n - lo.n + 1, 0) - p.stored, 0) AS missing,
       greatest(coalesce((SELECT n FROM exchange_sessions WHERE date = $5::date) - newest.n, 0), 0) AS sessions_behind,
       p.non_session, p.possible_split, p.unit_error, p.zero_volume, p.provisional
FROM counted p
CROSS JOIN LATERAL (SELECT n FROM exchange_sessions WHERE date >= p.from_date ORDER BY date LIMIT 1) AS lo
CROSS JOIN LATERAL (SELECT n FROM exchange_sessions WHERE date <= p.to_date ORDER BY date DESC LIMIT 1) AS hi
CROSS JOIN LATERAL (SELECT n FROM exchange_sessions WHERE date <= p.last_date ORDER BY date DESC LIMIT 1) AS newest
ORDER BY p.ticker`;

const RANGE_SQL = countsSql(false);
const ONE_SQL = countsSql(true);

const FINDINGS_SQL = `WITH ${flaggedSql('m.ticker = $1')}
SELECT k.kind, f.date, f.close, f.previous_close, f.volume
FROM flagged f
CROSS JOIN LATERAL (VALUES ('possible_split', f.possible_split), ('unit_error', f.unit_error),
                           ('zero_volume', f.zero_volume), ('provisional', f.provisional)) AS k(kind, hit)
WHERE k.hit
UNION ALL
SELECT 'non_session', date, close, NULL, volume FROM non_session
UNION ALL
SELECT 'missing', s.date, NULL, NULL, NULL
FROM exchange_sessions s
WHERE s.date BETWEEN $5::date AND $6::date
  AND NOT EXISTS (SELECT FROM market_data m WHERE m.ticker = $1 AND m.date = s.date)
ORDER BY date, kind`;

export interface Range { start?: string; end?: string }

/** Counts per ticker (every ticker, or one), over its bars or the range given. */
export async function qualityCounts(db: Database, options: QualityOptions, ticker?: string, range: Range = {}): Promise<QualityCounts[]> {
  await ensureSessions(db);
  const params = [ticker ?? null, range.start ?? null, range.end ?? null, options.publishedByMinutes, options.latestSession];
  // One ticker has a statement of its own: with `ticker = $1 OR $1 IS NULL`, a prepared
  // statement's generic plan would scan every ticker's bars for one.
  if (ticker) return (await db.query<QualityCounts>(ONE_SQL, params, { name: 'quality_counts_one' })).rows;
  // Every ticker: contiguous ranges of tickers holding about as many bars each, one statement
  // each, at once (the window pass runs on one core per statement).
  const ranges = await tickerRanges(db, profileOf(db).qualityStatements);
  const parts = await Promise.all(ranges.map(([from, to]) =>
    db.query<QualityCounts>(RANGE_SQL, [...params, from, to], { name: 'quality_counts_range' })));
  return parts.flatMap((p) => p.rows);
}

/** Up to `n` ranges [first, last] of stored tickers in order, splitting the bars about evenly. */
async function tickerRanges(db: Database, n: number): Promise<[string, string][]> {
  const { rows } = await db.query<{ ticker: string; rows: number }>(
    'SELECT ticker, rows FROM market_data_ticker_totals WHERE rows > 0 ORDER BY ticker', [], { name: 'quality_ticker_rows' });
  if (!rows.length) return [];
  const total = rows.reduce((sum, r) => sum + r.rows, 0);
  const ranges: [string, string][] = [];
  let start = 0;
  let seen = 0;
  rows.forEach((r, i) => {
    seen += r.rows;
    if (i === rows.length - 1 || (ranges.length < n - 1 && seen >= (total * (ranges.length + 1)) / n)) {
      ranges.push([rows[start]!.ticker, r.ticker]);
      start = i + 1;
    }
  });
  return ranges;
}

/** One ticker's counts and every finding with its date; undefined when it has no bar in the range. */
export async function tickerQuality(db: Database, options: QualityOptions, ticker: string, range: Range = {}): Promise<{ counts: QualityCounts; findings: FindingRow[] } | undefined> {
  const [counts] = await qualityCounts(db, options, ticker, range);
  if (!counts) return undefined;
  const { rows } = await db.query<FindingRow>(FINDINGS_SQL,
    [ticker, range.start ?? null, range.end ?? null, options.publishedByMinutes, counts.from_date, counts.to_date],
    { name: 'quality_findings' });
  return { counts, findings: rows };
}

interface MissingSessions {
  /** Missing sessions on or after `since`, ascending. */
  recent: string[];
  /** How many sessions before `since` (and after the first bar) have no bar. */
  older: number;
}

/**
 * For the ETL planner: each ticker's sessions without a bar between its first and last bar, the
 * recent ones by date (index probes for the days after `since` only), the older ones counted
 * (sessions expected less sessions stored).
 */
export async function missingSessions(db: Database, tickers: readonly string[], since: string): Promise<Map<string, MissingSessions>> {
  await ensureSessions(db);
  const { rows } = await db.query<{ ticker: string; recent: string[]; older: number }>(
    `SELECT t.ticker,
            coalesce((SELECT array_agg(s.date::text ORDER BY s.date) FROM exchange_sessions s
                      WHERE s.date >= greatest($2::date, b.first) AND s.date <= b.last
                        AND NOT EXISTS (SELECT FROM market_data m WHERE m.ticker = t.ticker AND m.date = s.date)), '{}') AS recent,
            CASE WHEN b.first >= $2::date THEN 0 ELSE greatest(
              coalesce((SELECT max(n) FROM exchange_sessions WHERE date < $2::date AND date <= b.last), 0)
              - coalesce((SELECT min(n) FROM exchange_sessions WHERE date >= b.first), 1) + 1
              - (SELECT count(*) FROM market_data m JOIN exchange_sessions s ON s.date = m.date WHERE m.ticker = t.ticker AND m.date < $2::date), 0)
            END AS older
     FROM unnest($1::varchar[]) AS t(ticker)
     CROSS JOIN LATERAL (SELECT min(date) AS first, max(date) AS last FROM market_data WHERE ticker = t.ticker) AS b
     WHERE b.first IS NOT NULL`,
    [tickers, since], { name: 'quality_missing_sessions' });
  return new Map(rows.map((r) => [r.ticker, { recent: r.recent, older: r.older }]));
}
