// Split- and dividend-adjusted prices, computed on read from raw bars and the adjustment factors
// that triggers keep from the corporate actions (migration 0008).
//
// A bar dated d is adjusted by every action with ex_date > d:
//   split: prices ÷ S and volume × S, where S is the product of those splits' factors;
//   total: also prices × D, where D is the product over those dividends of
//          (1 − amount ÷ the raw close of the ticker's last bar before the ex-date).
// S is exact; the price factors 1/S and D/S are carried to 24 decimal places; the price is
// rounded once, at the end, to 6 places, half away from zero (PostgreSQL's round). A weekly,
// monthly… bar is adjusted by the actions after its date, its period's last day.

export type Adjustment = 'raw' | 'split' | 'total';

/**
 * The factors `f` of row `p` (split_factor, split_price, total_price): those of the first ex-date
 * after its date, one index probe; NULL, read as 1, when no action comes after it.
 */
export const FACTORS_JOIN = `LEFT JOIN LATERAL (
    SELECT split_factor, split_price, total_price FROM adjustment_factors a
    WHERE a.ticker = p.ticker AND a.to_date > p.date ORDER BY a.to_date LIMIT 1
  ) AS f ON true`;

const priceFactor = (adjustment: Exclude<Adjustment, 'raw'>) => `coalesce(f.${adjustment === 'total' ? 'total_price' : 'split_price'}, 1)`;

/** An adjusted price column (`p.close`) as the shortest exact decimal text, with factors `f`. */
export function adjustedPrice(column: string, adjustment: Exclude<Adjustment, 'raw'>): string {
  return `trim_scale(round(${column} * ${priceFactor(adjustment)}, 6))`;
}

export const adjustedVolume = (column: string) => `round(${column} * coalesce(f.split_factor, 1))::bigint`;

/** Whether a row's factors `f` differ from 1 under this adjustment (it then also carries raw_close). */
export function isAdjusted(adjustment: Exclude<Adjustment, 'raw'>): string {
  return `${priceFactor(adjustment)} <> 1`;
}
