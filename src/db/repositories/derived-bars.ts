// Bars at intervals longer than a day, as one relation `bars(ticker, period, date, open, high, low,
// close, volume, created_at, updated_at, derived)`: the source's stored weekly and monthly bars
// (period_bars, migration 0007), and for a period without a stored bar, one derived from the daily
// bars (a history imported from a file, say): open = first open, high = max, low = min,
// close = last close, volume = sum, dated by its last bar — as the source makes them. Quarters and
// years are derived from the months (stored or derived). A stored bar is never altered.
//
// Derived weeks and months are kept in derived_bars (migration 0009), for the periods without a
// stored bar; the periods of ranges whose bars changed and are not folded yet are made here from
// the bars themselves, so reads are exact.
import type { Database, Queryable } from '../driver/database.ts';
import { profileOf } from '../driver/profile.ts';

type LongInterval = '1w' | '1mo' | '1q' | '1y';

/** SQL for the first and last day of the quarter or year holding a date expression. */
const LONG_PERIOD = {
  '1q': {
    start: (x: string) => `make_date(extract(year FROM ${x})::int, (extract(quarter FROM ${x})::int - 1) * 3 + 1, 1)`,
    end: (x: string) => `(date_trunc('quarter', ${x}::timestamp) + interval '3 months - 1 day')::date`,
  },
  '1y': {
    start: (x: string) => `make_date(extract(year FROM ${x})::int, 1, 1)`,
    end: (x: string) => `make_date(extract(year FROM ${x})::int, 12, 31)`,
  },
} as const;

interface BarsFilter {
  /** A condition on `ticker` (with its parameters already in place), if any. */
  ticker?: string;
  /** Date bounds as SQL expressions of type date (`$2::date`), if any. */
  start?: string;
  end?: string;
}

/** One bar of a period from its shorter bars (columns of alias `a`, or unqualified). */
const aggregate = (a = '') => `max(${a}date) AS date, (array_agg(${a}open ORDER BY ${a}date))[1] AS open, max(${a}high) AS high,
    min(${a}low) AS low, (array_agg(${a}close ORDER BY ${a}date DESC))[1] AS close, sum(${a}volume)::bigint AS volume,
    min(${a}created_at) AS created_at, max(${a}updated_at) AS updated_at`;

const where = (conds: (string | false | undefined)[]) => {
  const kept = conds.filter(Boolean);
  return kept.length ? `WHERE ${kept.join(' AND ')}` : '';
};

/** The stored bar of the same period, which a derived one gives way to. */
const stored = (interval: string, alias: string) =>
  `NOT EXISTS (SELECT FROM period_bars s WHERE s.ticker = ${alias}.ticker AND s.interval = '${interval}' AND s.period = ${alias}.period)`;

/** CTEs, and the SELECTs whose rows together are the bars (each ordered cheaply by date, ticker). */
export interface Bars { ctes: string; branches: string[] }

const COLUMNS = 'ticker, period, date, open, high, low, close, volume, created_at, updated_at';

/**
 * Weekly or monthly bars dated from..to: stored, kept derived (derived_bars holds none for a period
 * with a stored bar), and made now for the periods of pending ranges.
 */
function periodBars(interval: '1w' | '1mo', f: BarsFilter, from: string | undefined, to: string | undefined, name: string): Bars {
  const dates = (column: string) => [from && `${column} >= ${from}`, to && `${column} <= ${to}`];
  return {
    ctes: `${name}_pending AS (
  SELECT ticker, period_start('${interval}', min(lo)) AS lo, period_end('${interval}', max(hi)) AS hi
  FROM derived_bars_pending ${where([f.ticker])} GROUP BY ticker
),
${name}_made AS (
  SELECT m.ticker, period_start('${interval}', m.date) AS period, ${aggregate('m.')}
  FROM ${name}_pending p JOIN market_data m ON m.ticker = p.ticker AND m.date BETWEEN p.lo AND p.hi
  GROUP BY m.ticker, period_start('${interval}', m.date)
)`,
    branches: [
      `SELECT ${COLUMNS}, false AS derived FROM period_bars ${where([`interval = '${interval}'`, f.ticker, ...dates('date')])}`,
      `SELECT ${COLUMNS}, true AS derived FROM derived_bars d ${where([`interval = '${interval}'`, f.ticker, ...dates('date'),
        `NOT EXISTS (SELECT FROM ${name}_pending p WHERE p.ticker = d.ticker AND d.period BETWEEN p.lo AND p.hi)`])}`,
      `SELECT ${COLUMNS}, true AS derived FROM ${name}_made g ${where([...dates('g.date'), stored(interval, 'g')])}`,
    ],
  };
}

/** The bars of `interval` that match the filter. */
export function barsOf(interval: LongInterval, f: BarsFilter): Bars {
  if (interval === '1w' || interval === '1mo') return periodBars(interval, f, f.start, f.end, 'periods');
  // Quarters and years from whole months: the months of every period the range touches.
  const p = LONG_PERIOD[interval];
  const months = periodBars('1mo', f, f.start && p.start(f.start), f.end && p.end(f.end), 'months');
  return {
    ctes: `${months.ctes},
months AS (
  ${months.branches.join('\n  UNION ALL\n  ')}
),
long_bars AS (
  SELECT ticker, ${p.start('period')} AS period, ${aggregate()}, true AS derived
  FROM months
  GROUP BY ticker, ${p.start('period')}
  ${f.start || f.end ? `HAVING ${[f.start && `max(date) >= ${f.start}`, f.end && `max(date) <= ${f.end}`].filter(Boolean).join(' AND ')}` : ''}
)`,
    branches: [`SELECT ${COLUMNS}, derived FROM long_bars`],
  };
}

/** One fold of the pending ranges, of every ticker or of the first `maxTickers`; returns how many tickers (0 if another session is at it). */
export async function foldDerivedBarsOnce(db: Queryable, maxTickers?: number): Promise<number> {
  const { rows } = await db.query<{ folded: number | string }>('SELECT fold_derived_bars($1::bigint) AS folded', [maxTickers ?? null], { name: 'fold_derived_bars' });
  return Number(rows[0]!.folded);
}

/**
 * Remakes the derived weeks and months of every pending range: in one statement, or a few
 * tickers per statement where a statement holds the database for everyone (see profile.ts),
 * stopping early, after at least one, once `enough` says so.
 */
export async function foldDerivedBars(db: Database, step = profileOf(db).derivedFoldStep, enough: () => boolean = () => false): Promise<number> {
  if (step === undefined) return foldDerivedBarsOnce(db);
  // Only the tickers pending now: under steady writes to one ticker, folding until nothing is
  // pending would remake its periods back to back and hold the database for everyone.
  const { rows } = await db.query<{ n: number }>('SELECT count(DISTINCT ticker)::int AS n FROM derived_bars_pending');
  let folded = 0;
  for (let n = 1; folded < rows[0]!.n && !(folded > 0 && enough()) && (n = await foldDerivedBarsOnce(db, step)) > 0;) folded += n;
  return folded;
}
