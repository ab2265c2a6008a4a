// Split- and dividend-adjusted prices, computed on read from raw bars and corporate actions.
//
// A bar dated d is adjusted by every action with ex_date > d (and ex_date not in the future: an
// announced action applies once its day has come):
//   split: prices ÷ S and volume × S, where S is the product of those splits' factors;
//   total: also prices × D, where D is the product over those dividends of
//          (1 − amount ÷ the raw close of the ticker's last bar before the ex-date).
// S is exact (factors have at most 6 decimals); each dividend factor is carried to 20 decimals;
// the price is rounded once, at the end, to 6 places, half away from zero (PostgreSQL's round).
// A weekly, monthly… bar is adjusted by the actions after its date, its period's last day.
export type Adjustment = 'raw' | 'split' | 'total';

/**
 * `acts`: per ticker of `page` (a CTE with ticker and date), each ex-date after the page's earliest
 * bar with the cumulative factors of that ex-date and every later one. A bar's factors are those of
 * the first ex-date after it (or 1, with none).
 */
export function actsCte(adjustment: Exclude<Adjustment, 'raw'>, page = 'page'): string {
  const dividends = adjustment === 'total' ? `
      UNION ALL
      -- A dividend as large as the close before it would zero the history: such a row is a
      -- unit mix-up, and is not applied.
      SELECT d.ticker, d.ex_date, 1, CASE WHEN d.amount < c.close THEN round(1 - d.amount / c.close, 20) ELSE 1 END
      FROM dividends d
      CROSS JOIN LATERAL (SELECT m.close FROM market_data m WHERE m.ticker = d.ticker AND m.date < d.ex_date ORDER BY m.date DESC LIMIT 1) AS c
      WHERE d.ticker IN (SELECT ticker FROM ${page}) AND d.ex_date > (SELECT min(date) FROM ${page}) AND d.ex_date <= current_date` : '';
  return `acts AS (
  SELECT ticker, ex_date,
         numeric_product(split) OVER later AS split_factor,
         numeric_product(dividend) OVER later AS dividend_factor
  FROM (
    SELECT ticker, ex_date, numeric_product(split) AS split, numeric_product(dividend) AS dividend
    FROM (
      SELECT s.ticker, s.ex_date, s.factor AS split, 1::numeric AS dividend
      FROM splits s
      WHERE s.ticker IN (SELECT ticker FROM ${page}) AND s.ex_date > (SELECT min(date) FROM ${page}) AND s.ex_date <= current_date${dividends}
    ) AS a
    GROUP BY ticker, ex_date
  ) AS per_day
  WINDOW later AS (PARTITION BY ticker ORDER BY ex_date DESC)
)`;
}

/** The factors of page row `p`: split_factor and dividend_factor, 1 without actions after it. */
export const FACTORS_JOIN = `LEFT JOIN LATERAL (
    SELECT split_factor, dividend_factor FROM acts a WHERE a.ticker = p.ticker AND a.ex_date > p.date ORDER BY a.ex_date LIMIT 1
  ) AS f ON true`;

/** An adjusted price column (`p.close`) as the shortest exact decimal text, with factors `f`. */
export function adjustedPrice(column: string, adjustment: Exclude<Adjustment, 'raw'>): string {
  const dividend = adjustment === 'total' ? ` * coalesce(f.dividend_factor, 1)` : '';
  return `trim_scale(round(${column}${dividend} / coalesce(f.split_factor, 1), 6))`;
}

export const adjustedVolume = (column: string) => `round(${column} * coalesce(f.split_factor, 1))::bigint`;

/** Whether a row's factors `f` differ from 1 under this adjustment (it then also carries raw_close). */
export function isAdjusted(adjustment: Exclude<Adjustment, 'raw'>): string {
  return adjustment === 'total'
    ? `(coalesce(f.split_factor, 1) <> 1 OR coalesce(f.dividend_factor, 1) <> 1)`
    : `coalesce(f.split_factor, 1) <> 1`;
}
