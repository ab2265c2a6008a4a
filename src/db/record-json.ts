// Records leave the database as JSON text, ready to send. Parsing 50 rows × 10 columns into
// objects and serialising them again cost the service ~300 µs of CPU per page (measured: 394 µs
// per list query with rows, 86 µs with JSON text), and that CPU is what limits a 2-core machine.
//
// The text is final as PostgreSQL makes it. Until 2026-11-28 it made to_json's timestamps and
// NUMERIC(15,6)'s six decimals, and the service rewrote them with regular expressions: 35 µs and
// ~40 KB of garbage per 50-row page, a quarter of a worker's time spent in GC under s1 (scavenges
// every 45 ms, 3–10 ms each). trim_scale and to_char cost PostgreSQL ~17 µs per such page
// (measured over 250k rows: 0.02 µs per price, 0.3 µs per timestamp against to_json's 0.17).

/** A timestamptz column as the API prints it: UTC, six fractional digits, `Z`. */
const utc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.US"Z"')`;

/**
 * One market_data row (columns unqualified) as a JSON object in the API's form: prices as the
 * shortest exact decimal (`150.250000` → `150.25`, `150.000000` → `150`), timestamps in UTC with
 * six fractional digits and `Z`. Safe without escaping: the ticker is 1–16 of A–Z 0–9 . - (a
 * CHECK constraint), dates print as YYYY-MM-DD (DateStyle ISO, set on every session), and numbers
 * print as numbers. The colons of the time are quoted text in to_char's pattern so that no `:name`
 * appears in the SQL (pgbench, which replays it in the benchmark, would take it for a variable).
 */
export const RECORD_JSON = `concat('{"id":', id, ',"ticker":"', ticker, '","date":"', date, '","interval":"1d',
  '","open":', trim_scale(open), ',"high":', trim_scale(high), ',"low":', trim_scale(low), ',"close":', trim_scale(close),
  ',"volume":', volume,
  ',"created_at":"', ${utc('created_at')}, '","updated_at":"', ${utc('updated_at')}, '"}')`;

/**
 * One period_bars row (a weekly or monthly bar, migration 0007) in the same form. It has no `id`:
 * those bars are read-only source data, never addressed one by one.
 */
export const PERIOD_RECORD_JSON = `concat('{"ticker":"', ticker, '","date":"', date, '","interval":"', interval,
  '","open":', trim_scale(open), ',"high":', trim_scale(high), ',"low":', trim_scale(low), ',"close":', trim_scale(close),
  ',"volume":', volume,
  ',"created_at":"', ${utc('created_at')}, '","updated_at":"', ${utc('updated_at')}, '"}')`;
