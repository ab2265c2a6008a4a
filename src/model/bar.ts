// Rules for one daily bar, shared by the API and the ETL so both accept exactly the same rows
// (and the database's CHECK constraints hold the same rules once more). Prices stay decimal
// strings end to end; big.js compares them exactly.
import { Big } from 'big.js';

export const PRICE_FIELDS = ['open', 'high', 'low', 'close'] as const;
/**
 * 1-16 of A-Z 0-9 . -, the first a letter or digit: a ticker starting with `-` (or `=`, `+`, `@`)
 * would be a formula when a CSV export is opened in a spreadsheet.
 */
const TICKER = '[A-Z0-9][A-Z0-9.-]{0,15}';
export const TICKER_MAX_LENGTH = 16;
export const TICKER_PATTERN = new RegExp(`^${TICKER}$`);
/**
 * The same rule for text not yet upper-cased (query strings, paths), as a pattern source for JSON
 * Schema, which has no case-insensitive flag.
 */
export const TICKER_ANY_CASE = TICKER.replaceAll('A-Z', 'A-Za-z');
export const TICKER_RULE = 'must be 1-16 characters of A-Z 0-9 . -, starting with a letter or digit';
/** Matches NUMERIC(15,6): 6 decimal places, 15 significant digits. */
export const PRICE_SCALE = 6;
const PRICE_MAX_EXCLUSIVE = new Big('1e9');
/** Every stored volume prints exactly as a JSON number. */
export const VOLUME_MAX = Number.MAX_SAFE_INTEGER;

export interface FieldError { field: string; message: string }
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export interface Prices { open: string; high: string; low: string; close: string }
export interface Bar extends Prices { ticker: string; date: string; volume: number }

export function normaliseTicker(raw: string): string {
  return raw.trim().toUpperCase();
}

/** Tickers from comma-separated lists (`"aapl, msft"`): normalised, no blanks, no repeats, first seen first. */
export function tickerList(values: readonly string[]): string[] {
  return [...new Set(values.flatMap((v) => v.split(',')).map(normaliseTicker).filter(Boolean))];
}

/** The tickers in `tickers` that break the rule, for a message such as `not tickers (…): X, Y`. */
export function badTickers(tickers: readonly string[]): string[] {
  return tickers.filter((t) => !TICKER_PATTERN.test(t));
}

export function parseTicker(raw: unknown): Parsed<string> {
  if (typeof raw !== 'string') return { ok: false, message: 'must be a string' };
  const ticker = normaliseTicker(raw);
  return TICKER_PATTERN.test(ticker)
    ? { ok: true, value: ticker }
    : { ok: false, message: TICKER_RULE };
}

const DECIMAL = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
/** A plain decimal that fits NUMERIC(15,6) as written: the common case, handled without big.js. */
const PLAIN = /^0*(\d{1,9})(?:\.(?=\d)(\d{0,6}?)0*)?$/;

/**
 * A price given as a decimal string (`"150.00"`, exactly as typed) or a JS number; returns the
 * canonical decimal string (`"150"`). Rejects rather than rounds anything NUMERIC(15,6) would alter.
 */
export function parsePrice(raw: unknown): Parsed<string> {
  let text: string;
  if (typeof raw === 'string') text = raw.trim();
  else if (typeof raw === 'number' && Number.isFinite(raw)) text = String(raw);
  else return { ok: false, message: 'must be a number or a decimal string' };
  // Fast path, exact: Alpha Vantage's "306.7500" and most API input. (A backfill parses millions.)
  const plain = text.length <= 64 ? PLAIN.exec(text) : null;
  if (plain) {
    const value = plain[2] ? `${plain[1]}.${plain[2]}` : plain[1]!;
    return /[1-9]/.test(value) ? { ok: true, value } : { ok: false, message: 'must be greater than 0' };
  }
  if (text.length > 64 || !DECIMAL.test(text)) return { ok: false, message: 'must be a decimal number' };
  const value = new Big(text);
  if (value.lte(0)) return { ok: false, message: 'must be greater than 0' };
  if (value.gte(PRICE_MAX_EXCLUSIVE)) return { ok: false, message: 'must be less than 1000000000' };
  // big.js keeps digits in `c` and the exponent in `e`: decimal places without formatting first
  // (formatting 1e-999999 would be a denial of service).
  const places = Math.max(0, value.c.length - 1 - value.e);
  if (places > PRICE_SCALE) return { ok: false, message: `must have at most ${PRICE_SCALE} decimal places` };
  return { ok: true, value: value.toFixed() };
}

/** A volume given as a number or as text (`"5687955"`, `"1200.0"`): a whole number from 0 to 2^53-1. */
export function parseVolume(raw: unknown): Parsed<number> {
  let text: string;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return { ok: false, message: 'must be a number' };
    text = Number.isInteger(raw) ? raw.toFixed(0) : String(raw);
  } else if (typeof raw === 'string') text = raw.trim();
  else return { ok: false, message: 'must be a number' };
  const m = /^(-?)(\d{1,20})(?:\.(\d*))?$/.exec(text);
  if (!m) return { ok: false, message: 'must be a number' };
  if (m[3] && /[1-9]/.test(m[3])) return { ok: false, message: 'must be a whole number' };
  const n = Number(m[2]);
  if (m[1] && n !== 0) return { ok: false, message: 'must be 0 or more' };
  if (n > VOLUME_MAX) return { ok: false, message: `must be at most ${VOLUME_MAX}` };
  return { ok: true, value: n };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

let lastAllowed = { at: NaN, date: '' };

/** The latest date that is already today somewhere on Earth (UTC+14), so no market's today is "future". */
export function latestAllowedDate(now: Date = new Date()): string {
  const at = now.getTime();
  // One value per `now`: a transform checks thousands of dates against the same one.
  if (at !== lastAllowed.at) lastAllowed = { at, date: new Date(at + 14 * 3_600_000).toISOString().slice(0, 10) };
  return lastAllowed.date;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether the day exists in the proleptic Gregorian calendar from year 1 (PostgreSQL has no year 0). */
function dayExists(y: number, mo: number, d: number): boolean {
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!);
}

/** `YYYY-MM-DD` naming a day that exists (no 2024-02-30): what a DATE column accepts. */
export function isCalendarDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  return !!m && dayExists(Number(m[1]), Number(m[2]), Number(m[3]));
}

export function parseDate(raw: unknown, now: Date = new Date()): Parsed<string> {
  if (typeof raw !== 'string') return { ok: false, message: 'must be a date string YYYY-MM-DD' };
  // Called for every bar of a backfill: one regex and arithmetic, no Date.
  const m = ISO_DATE.exec(raw);
  if (!m) return { ok: false, message: 'must be a date YYYY-MM-DD' };
  if (!dayExists(Number(m[1]), Number(m[2]), Number(m[3]))) return { ok: false, message: 'must be a real calendar date' };
  if (raw < '1800-01-01') return { ok: false, message: 'must be 1800-01-01 or later' };
  if (raw > latestAllowedDate(now)) return { ok: false, message: 'must not be in the future' };
  return { ok: true, value: raw };
}

/** Where a plain unsigned decimal (`\d+(\.\d+)?`) has its point (its length when it has none); -1 for other forms. */
function pointOf(s: string): number {
  let point = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 && point === s.length && i > 0 && i < s.length - 1) point = i;
    else if (c < 48 || c > 57) return -1;
  }
  return s.length ? point : -1;
}

/**
 * a - b's sign for two decimal strings: plain unsigned ones (every price a bulk import checks) by
 * their digits, without allocating; anything else by big.js.
 */
export function compareDecimals(a: string, b: string): number {
  const ap = pointOf(a);
  const bp = pointOf(b);
  if (ap < 0 || bp < 0) return new Big(a).cmp(new Big(b));
  let as = 0;
  let bs = 0;
  while (as < ap && a.charCodeAt(as) === 48) as++;
  while (bs < bp && b.charCodeAt(bs) === 48) bs++;
  if (ap - as !== bp - bs) return ap - as < bp - bs ? -1 : 1;
  for (let i = 0; i < ap - as; i++) {
    const d = a.charCodeAt(as + i) - b.charCodeAt(bs + i);
    if (d) return d < 0 ? -1 : 1;
  }
  // Equal whole parts: the fractions compare digit by digit once trailing zeros are gone.
  let ae = a.length;
  let be = b.length;
  while (ae > ap && a.charCodeAt(ae - 1) === 48) ae--;
  while (be > bp && b.charCodeAt(be - 1) === 48) be--;
  const af = Math.max(0, ae - ap - 1);
  const bf = Math.max(0, be - bp - 1);
  for (let i = 0; i < Math.min(af, bf); i++) {
    const d = a.charCodeAt(ap + 1 + i) - b.charCodeAt(bp + 1 + i);
    if (d) return d < 0 ? -1 : 1;
  }
  return af === bf ? 0 : af < bf ? -1 : 1;
}

/** low ≤ open ≤ high and low ≤ close ≤ high, exactly. Reports each offending field once. */
export function checkPrices(p: Prices): FieldError[] {
  if (compareDecimals(p.high, p.low) < 0) return [{ field: 'high', message: `must not be below low (${p.low})` }];
  const errors: FieldError[] = [];
  for (const field of ['open', 'close'] as const) {
    if (compareDecimals(p[field], p.low) < 0 || compareDecimals(p[field], p.high) > 0) {
      errors.push({ field, message: `must be between low (${p.low}) and high (${p.high})` });
    }
  }
  return errors;
}
