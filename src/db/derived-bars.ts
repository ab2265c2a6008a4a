// Bars at intervals longer than a day, as one relation `bars(ticker, date, open, high, low, close,
// volume, created_at, updated_at, derived)`: the source's stored weekly and monthly bars
// (period_bars, migration 0007), and for a period without a stored bar, one derived from the daily
// bars (a history imported from a file, say): open = first open, high = max, low = min,
// close = last close, volume = sum, dated by its last bar — as the source makes them. Quarters and
// years are derived from the months (stored or derived). A stored bar is never altered.
// Computed on read: a ticker's 20 years of daily bars are ~5,000 rows.

export type LongInterval = '1w' | '1mo' | '1q' | '1y';

/** Literal SQL for the first and last day of the period holding a date expression. */
const PERIOD: Record<LongInterval, { start: (x: string) => string; end: (x: string) => string }> = {
  '1w': {
    start: (x) => `(${x} - (extract(isodow FROM ${x})::int - 1))`,
    end: (x) => `(${x} + (7 - extract(isodow FROM ${x})::int))`,
  },
  '1mo': {
    start: (x) => `(${x} - (extract(day FROM ${x})::int - 1))`,
    end: (x) => `(date_trunc('month', ${x}::timestamp) + interval '1 month - 1 day')::date`,
  },
  '1q': {
    start: (x) => `make_date(extract(year FROM ${x})::int, (extract(quarter FROM ${x})::int - 1) * 3 + 1, 1)`,
    end: (x) => `(date_trunc('quarter', ${x}::timestamp) + interval '3 months - 1 day')::date`,
  },
  '1y': {
    start: (x) => `make_date(extract(year FROM ${x})::int, 1, 1)`,
    end: (x) => `make_date(extract(year FROM ${x})::int, 12, 31)`,
  },
};

export interface BarsFilter {
  /** A condition on `ticker` (with its parameters already in place), if any. */
  ticker?: string;
  /** Date bounds as SQL expressions of type date (`$2::date`), if any. */
  start?: string;
  end?: string;
}

const AGGREGATE = `max(date) AS date, (array_agg(open ORDER BY date))[1] AS open, max(high) AS high, min(low) AS low,
    (array_agg(close ORDER BY date DESC))[1] AS close, sum(volume)::bigint AS volume,
    min(created_at) AS created_at, max(updated_at) AS updated_at`;

const and = (conds: (string | false | undefined)[]) => {
  const kept = conds.filter(Boolean);
  return kept.length ? `WHERE ${kept.join(' AND ')}` : '';
};

/**
 * Weekly or monthly bars: stored, and derived for the periods without one. `periodsOf` widens the
 * daily bars read to whole periods (those around `from`..`to`), so that a period the date range
 * cuts is still made from all its days.
 */
function periodBars(interval: '1w' | '1mo', f: BarsFilter, from: string | undefined, to: string | undefined, name: string): string {
  const p = PERIOD[interval];
  return `${name}_daily AS (
  SELECT ticker, date, open, high, low, close, volume, created_at, updated_at, ${p.start('date')} AS period
  FROM market_data ${and([f.ticker, from && `date >= ${p.start(from)}`, to && `date <= ${p.end(to)}`])}
),
${name}_made AS (
  SELECT ticker, period, ${AGGREGATE} FROM ${name}_daily GROUP BY ticker, period
),
${name} AS (
  SELECT ticker, period, date, open, high, low, close, volume, created_at, updated_at, false AS derived
  FROM period_bars ${and([`interval = '${interval}'`, f.ticker, from && `date >= ${from}`, to && `date <= ${to}`])}
  UNION ALL
  SELECT ticker, period, date, open, high, low, close, volume, created_at, updated_at, true
  FROM ${name}_made g ${and([from && `g.date >= ${from}`, to && `g.date <= ${to}`,
    `NOT EXISTS (SELECT FROM period_bars s WHERE s.ticker = g.ticker AND s.interval = '${interval}' AND s.period = g.period)`])}
)`;
}

/** CTEs ending in `bars`: the bars of `interval` that match the filter. */
export function barsCte(interval: LongInterval, f: BarsFilter): string {
  if (interval === '1w' || interval === '1mo') {
    return `${periodBars(interval, f, f.start, f.end, 'periods')},
bars AS (
  SELECT ticker, date, open, high, low, close, volume, created_at, updated_at, derived FROM periods
)`;
  }
  // Quarters and years from whole months: the months of every period the range touches.
  const p = PERIOD[interval];
  return `${periodBars('1mo', f, f.start && p.start(f.start), f.end && p.end(f.end), 'months')},
bars AS (
  SELECT ticker, ${AGGREGATE}, true AS derived
  FROM months
  GROUP BY ticker, ${p.start('period')}
  ${f.start || f.end ? `HAVING ${[f.start && `max(date) >= ${f.start}`, f.end && `max(date) <= ${f.end}`].filter(Boolean).join(' AND ')}` : ''}
)`;
}
