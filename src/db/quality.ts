// Data quality against the exchange calendar (exchange_sessions, migration 0011), in SQL: one
// pass over the bars with a window for the previous close, so the report for every ticker is a
// single statement whatever the number of rows. What the findings mean: docs/quality.md.
import { latestPublishedSession, PUBLISHED_BY_MINUTES } from '../etl/freshness.ts';
import { FIRST_DATE, LAST_DATE } from '../model/calendar.ts';
import { MOVE_THRESHOLD, UNIT_FACTOR, UNIT_TOLERANCE } from '../model/quality.ts';
import type { Database } from './database.ts';
import { ensureSessions } from './sessions.ts';

export interface QualityOptions {
  /** The latest session whose bar can have been published now (etl/freshness.ts latestPublishedSession). */
  latestSession: string;
  /** Minutes after midnight, New York, when a session's bar is final (PUBLISHED_BY_MINUTES). */
  publishedByMinutes: number;
}

/** What "now" means for the report: the latest published session and the publication minute. */
export const qualityOptions = (now = new Date()): QualityOptions =>
  ({ latestSession: latestPublishedSession(now), publishedByMinutes: PUBLISHED_BY_MINUTES });

export interface QualityCounts {
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

export type FindingKind = 'missing' | 'non_session' | 'possible_split' | 'unit_error' | 'zero_volume' | 'provisional';

export interface FindingRow {
  kind: FindingKind;
  date: string;
  close: string | null;
  previous_close: string | null;
  volume: number | null;
}

// $1 ticker (null: all), $2/$3 requested range (null: the ticker's first/last bar), $4 the
// publication minute; the counts add $5, the latest published session. `ratio` is the previous close over the close: the
// split factor that would explain the move (2 = prices halved, as after a 2-for-1 split).
const ASSESSED = `
fetched AS (
  SELECT ticker, max(fetched_at) AS fetched_at FROM ticker_datasets WHERE dataset = 'daily' GROUP BY ticker
),
bars AS (
  SELECT m.ticker, m.date, m.close, m.volume, m.updated_at, s.n,
         lag(m.close) OVER (PARTITION BY m.ticker ORDER BY m.date) AS previous_close,
         (m.date + make_interval(mins => $4::int)) AT TIME ZONE 'America/New_York' AS published_at
  FROM market_data m LEFT JOIN exchange_sessions s ON s.date = m.date
  WHERE ($1::varchar IS NULL OR m.ticker = $1) AND m.date >= coalesce($2::date, '-infinity') AND m.date <= coalesce($3::date, 'infinity')
),
assessed AS (
  SELECT b.ticker, b.date, b.close, b.previous_close, b.volume, b.n,
         b.n IS NULL AND b.date BETWEEN '${FIRST_DATE}' AND '${LAST_DATE}' AS non_session,
         b.n IS NOT NULL AND b.volume = 0 AS zero_volume,
         b.updated_at < b.published_at AND coalesce(f.fetched_at < b.published_at, true) AS provisional,
         coalesce(abs(r.ratio / ${UNIT_FACTOR} - 1) <= ${UNIT_TOLERANCE} OR abs(r.ratio * ${UNIT_FACTOR} - 1) <= ${UNIT_TOLERANCE}, false) AS unit_error,
         coalesce((r.ratio > 1 / (1 - ${MOVE_THRESHOLD}::numeric) OR r.ratio < 1 - ${MOVE_THRESHOLD}::numeric)
           AND NOT (abs(r.ratio / ${UNIT_FACTOR} - 1) <= ${UNIT_TOLERANCE} OR abs(r.ratio * ${UNIT_FACTOR} - 1) <= ${UNIT_TOLERANCE})
           AND NOT EXISTS (SELECT FROM splits sp WHERE sp.ticker = b.ticker AND sp.ex_date = b.date), false) AS possible_split
  FROM bars b
  CROSS JOIN LATERAL (SELECT b.previous_close / b.close AS ratio) AS r
  LEFT JOIN fetched f ON f.ticker = b.ticker
)`;

// The range of each ticker: its bars, or the requested dates (the end no later than the latest
// published session, unless a bar is newer). Expected sessions are a difference of session numbers.
const COUNTS_SQL = `WITH ${ASSESSED},
per_ticker AS (
  SELECT ticker, min(date) AS first_date, max(date) AS last_date,
         coalesce($2::date, min(date)) AS from_date,
         CASE WHEN $3::date IS NULL THEN max(date) ELSE least($3::date, greatest($5::date, max(date))) END AS to_date,
         count(*) FILTER (WHERE non_session) AS non_session, count(*) FILTER (WHERE possible_split) AS possible_split,
         count(*) FILTER (WHERE unit_error) AS unit_error, count(*) FILTER (WHERE zero_volume) AS zero_volume,
         count(*) FILTER (WHERE provisional) AS provisional,
         array_agg(n) FILTER (WHERE n IS NOT NULL) AS sessions
  FROM assessed GROUP BY ticker
)
SELECT p.ticker, p.first_date, p.last_date, p.from_date, p.to_date,
       greatest(coalesce(hi.n - lo.n + 1, 0), 0) AS expected, st.stored,
       greatest(coalesce(hi.n - lo.n + 1, 0) - st.stored, 0) AS missing,
       greatest(coalesce((SELECT n FROM exchange_sessions WHERE date = $5::date) - newest.n, 0), 0) AS sessions_behind,
       p.non_session, p.possible_split, p.unit_error, p.zero_volume, p.provisional
FROM per_ticker p
CROSS JOIN LATERAL (SELECT min(n) AS n FROM exchange_sessions WHERE date >= p.from_date) AS lo
CROSS JOIN LATERAL (SELECT max(n) AS n FROM exchange_sessions WHERE date <= p.to_date) AS hi
CROSS JOIN LATERAL (SELECT max(n) AS n FROM exchange_sessions WHERE date <= p.last_date) AS newest
CROSS JOIN LATERAL (SELECT count(*) AS stored FROM unnest(p.sessions) AS x WHERE x BETWEEN lo.n AND hi.n) AS st
ORDER BY p.ticker`;

const FINDINGS_SQL = `WITH ${ASSESSED}
SELECT k.kind, a.date, a.close, a.previous_close, a.volume
FROM assessed a
CROSS JOIN LATERAL (VALUES ('non_session', a.non_session), ('possible_split', a.possible_split), ('unit_error', a.unit_error),
                           ('zero_volume', a.zero_volume), ('provisional', a.provisional)) AS k(kind, hit)
WHERE k.hit
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
  const { rows } = await db.query<QualityCounts>(COUNTS_SQL,
    [ticker ?? null, range.start ?? null, range.end ?? null, options.publishedByMinutes, options.latestSession],
    { name: 'quality_counts' });
  return rows;
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
