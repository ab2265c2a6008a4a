// Records leave the database as JSON text, ready to send. Parsing a page of rows into objects
// and serialising them again costs the service several times the CPU of passing the text on, and
// that CPU is what limits a small machine (figures in docs/performance.md).
//
// The text is final as PostgreSQL makes it: trim_scale and to_char give the decimals and
// timestamps the API prints, so the service rewrites nothing with regular expressions (which
// made garbage on every page and kept a worker's collector busy), and they cost PostgreSQL
// little next to to_json.

import { adjustedPrice, adjustedVolume, isAdjusted, type Adjustment } from './adjustments.ts';

/** A timestamptz column as the API prints it: UTC, six fractional digits, `Z`. */
const utc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.US"Z"')`;

interface RecordShape {
  /** Columns of this table alias (`p.`), or unqualified (''). */
  alias: string;
  /** Daily bars carry their id; weekly and longer bars have none. */
  id: boolean;
  /** The interval: a quoted literal, or a column. */
  interval: string;
  adjustment: Adjustment;
  /** An expression telling a bar made from shorter ones (`derived`), or none: stored bars. */
  derived?: string;
}

/**
 * One bar as a JSON object in the API's form: prices as the shortest exact decimal (`150.250000`
 * → `150.25`, `150.000000` → `150`), timestamps in UTC with six fractional digits and `Z`; adjusted
 * prices (factors `f`, see adjustments.ts) with the raw close beside them when the factor is not 1.
 * Safe without escaping: the ticker is 1–16 of A–Z 0–9 . - (a CHECK constraint), dates print as
 * YYYY-MM-DD (DateStyle ISO, set on every session), and numbers print as numbers. The colons of the
 * time are quoted text in to_char's pattern so that no `:name` appears in the SQL (pgbench, which
 * replays it in the benchmark, would take it for a variable).
 */
export function recordJson(shape: RecordShape): string {
  const c = (column: string) => `${shape.alias}${column}`;
  const adjusted = shape.adjustment !== 'raw' ? shape.adjustment : undefined;
  const price = (column: string) => (adjusted ? adjustedPrice(c(column), adjusted) : `trim_scale(${c(column)})`);
  const parts = [
    shape.id ? `'{"id":', ${c('id')}, ',"ticker":"'` : `'{"ticker":"'`,
    `${c('ticker')}, '","date":"', ${c('date')}, '","interval":"', ${shape.interval}, '","adjustment":"${shape.adjustment}"'`,
    // Never `:name` in the text: pgbench, which replays it in the benchmark, would take it for a variable.
    `',"derived":', ${shape.derived ? `(${shape.derived})::text` : "'false'"}`,
    `',"open":', ${price('open')}, ',"high":', ${price('high')}, ',"low":', ${price('low')}, ',"close":', ${price('close')}`,
    `',"volume":', ${adjusted ? adjustedVolume(c('volume')) : c('volume')}`,
    adjusted ? `CASE WHEN ${isAdjusted(adjusted)} THEN concat(',"raw_close":', trim_scale(${c('close')})) END` : '',
    `',"created_at":"', ${utc(c('created_at'))}, '","updated_at":"', ${utc(c('updated_at'))}, '"}'`,
  ].filter(Boolean);
  return `concat(${parts.join(', ')})`;
}

/** One market_data row (columns unqualified), raw. */
export const RECORD_JSON = recordJson({ alias: '', id: true, interval: `'1d'`, adjustment: 'raw' });
