// Raw rows (from a source) → rows ready to load: exact decimal strings, the ticker upper-cased,
// bars sorted by date. A row that breaks a rule is rejected with its reason and counted; the good
// rows go on. (The original dropped every row after the first bad number.)
import type { Dividend, Split } from '../db/repositories/corporate-actions.ts';
import { checkPrices, normaliseTicker, parseDate, parsePrice, parseVolume, PRICE_FIELDS, type Bar } from '../model/bar.ts';
import type { RawDividend, RawRow, RawSplit } from '../sources/source.ts';
import { periodOf } from './freshness.ts';

interface Rejection { date: string; reason: string }

export interface Transformed<T = Bar> {
  rows: T[];
  rejected: number;
  /** The first rejections with their reasons (all of them are counted in `rejected`). */
  rejections: Rejection[];
}

const MAX_REJECTIONS_KEPT = 50;

/** Announced corporate actions may lie ahead; a year is far more than any source announces. */
const ACTIONS_AHEAD_MS = 366 * 86_400_000;

/** One raw row → a bar, or the reason it breaks a rule (a bulk import checks rows one at a time). */
export function checkBar(ticker: string, row: RawRow, now: Date): Bar | string {
  const date = parseDate(row.date, now);
  if (!date.ok) return `date ${date.message}`;
  const prices: Record<string, string> = {};
  for (const field of PRICE_FIELDS) {
    const raw = row[field];
    if (raw === undefined || raw === null || raw === '') return `missing field: ${field}`;
    const price = parsePrice(raw);
    if (!price.ok) return `${field} ${price.message === 'must be a decimal number' ? 'is not a number' : price.message}`;
    prices[field] = price.value;
  }
  if (row.volume === undefined || row.volume === null || row.volume === '') return 'missing field: volume';
  const volume = parseVolume(row.volume);
  if (!volume.ok) return `volume ${volume.message}`;
  const bar: Bar = {
    ticker, date: date.value,
    open: prices.open!, high: prices.high!, low: prices.low!, close: prices.close!, volume: volume.value,
  };
  const broken = checkPrices(bar);
  if (broken.length) return broken.map((e) => `${e.field} ${e.message}`).join('; ');
  return bar;
}

/**
 * Checks every row with `check`; rows whose key appears more than once are ambiguous and neither
 * copy is trusted (`twice` names the problem).
 */
function checkAll<R, T>(rows: Iterable<R>, key: (row: R) => string, dateOf: (row: R) => string, twice: string, check: (row: R) => T | string, extraKeys: Iterable<string> = []): Transformed<T> {
  const all = [...rows];
  const count = new Map<string, number>();
  for (const row of all) count.set(key(row), (count.get(key(row)) ?? 0) + 1);
  for (const k of extraKeys) count.set(k, Math.max(2, count.get(k) ?? 0));
  const out: T[] = [];
  const rejections: Rejection[] = [];
  let rejected = 0;
  const reject = (date: string, reason: string) => {
    rejected++;
    if (rejections.length < MAX_REJECTIONS_KEPT) rejections.push({ date: String(date).slice(0, 40), reason });
  };
  for (const row of all) {
    if ((count.get(key(row)) ?? 0) > 1) {
      reject(dateOf(row), twice);
      continue;
    }
    const result = check(row);
    if (typeof result === 'string') reject(dateOf(row), result);
    else out.push(result);
  }
  return { rows: out, rejected, rejections };
}

const byDate = <T extends { date: string }>(a: T, b: T) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0);

type Options = { now?: Date; duplicates?: Iterable<string> };

/** Daily bars: one per date. */
export function transform(ticker: string, rows: Iterable<RawRow>, options: Options = {}): Transformed {
  const now = options.now ?? new Date();
  const symbol = normaliseTicker(ticker);
  const result = checkAll(rows, (r) => r.date, (r) => r.date, 'duplicate date', (r) => checkBar(symbol, r, now), options.duplicates);
  result.rows.sort(byDate);
  return result;
}

/** Weekly or monthly bars: one per week (month), whichever trading day keys it. */
export function transformPeriods(ticker: string, interval: '1w' | '1mo', rows: Iterable<RawRow>, options: Options = {}): Transformed {
  const daily = transform(ticker, rows, options);
  const perPeriod = new Map<string, number>();
  for (const bar of daily.rows) perPeriod.set(periodOf(interval, bar.date), (perPeriod.get(periodOf(interval, bar.date)) ?? 0) + 1);
  const twice = daily.rows.filter((b) => perPeriod.get(periodOf(interval, b.date))! > 1);
  if (!twice.length) return daily;
  const rejections = [...daily.rejections];
  for (const b of twice) if (rejections.length < MAX_REJECTIONS_KEPT) rejections.push({ date: b.date, reason: `two bars in one ${interval === '1w' ? 'week' : 'month'}` });
  return { rows: daily.rows.filter((b) => !twice.includes(b)), rejected: daily.rejected + twice.length, rejections };
}

function actionDate(raw: unknown, now: Date, field: string): { value: string | null } | string {
  if (raw === undefined || raw === null || raw === '' || raw === 'None') return field === 'ex_date' ? 'missing field: ex_date' : { value: null };
  const date = parseDate(raw, new Date(now.getTime() + ACTIONS_AHEAD_MS));
  return date.ok ? { value: date.value } : `${field} ${date.message}`;
}

export function transformSplits(rows: Iterable<RawSplit>, now = new Date()): Transformed<Split> {
  const result = checkAll(rows, (r) => String(r.ex_date), (r) => String(r.ex_date), 'two splits on one ex-date', (r) => {
    const date = actionDate(r.ex_date, now, 'ex_date');
    if (typeof date === 'string') return date;
    const factor = parsePrice(r.factor);
    if (!factor.ok) return `factor ${factor.message}`;
    return { ex_date: date.value!, factor: factor.value };
  });
  result.rows.sort((a, b) => (a.ex_date < b.ex_date ? -1 : 1));
  return result;
}

export function transformDividends(rows: Iterable<RawDividend>, now = new Date()): Transformed<Dividend> {
  const result = checkAll(rows, (r) => String(r.ex_date), (r) => String(r.ex_date), 'two dividends on one ex-date', (r) => {
    const dates: Record<string, string | null> = {};
    for (const field of ['ex_date', 'declaration_date', 'record_date', 'payment_date'] as const) {
      const date = actionDate(r[field], now, field);
      if (typeof date === 'string') return date;
      dates[field] = date.value;
    }
    // A dividend of nothing is odd but not wrong; parsePrice refuses 0.
    const zero = typeof r.amount === 'string' && /^0+(\.0+)?$/.test(r.amount.trim());
    const amount = zero ? { ok: true as const, value: '0' } : parsePrice(r.amount);
    if (!amount.ok) return `amount ${amount.message}`;
    return { ex_date: dates.ex_date!, declaration_date: dates.declaration_date!, record_date: dates.record_date!, payment_date: dates.payment_date!, amount: amount.value };
  });
  result.rows.sort((a, b) => (a.ex_date < b.ex_date ? -1 : 1));
  return result;
}
