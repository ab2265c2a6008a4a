// Raw rows (from Alpha Vantage or a CSV file) → bars ready to load: exact decimal strings, the
// ticker upper-cased, sorted by date. A row that breaks a rule is rejected with its reason and
// counted; the good rows go on. (The original dropped every row after the first bad number.)
import { setImmediate as nextTurn } from 'node:timers/promises';
import { checkPrices, normaliseTicker, parseDate, parsePrice, parseVolume, PRICE_FIELDS, type Bar } from '../model/bar.ts';
import type { RawRow } from './classify.ts';

export interface Rejection { date: string; reason: string }

export interface Transformed {
  bars: Bar[];
  rejected: number;
  /** The first rejections with their reasons (all of them are counted in `rejected`). */
  rejections: Rejection[];
}

export const MAX_REJECTIONS_KEPT = 50;

function check(ticker: string, row: RawRow, now: Date): Bar | string {
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

type Options = { now?: Date; duplicates?: Iterable<string> };

export function transform(ticker: string, rows: Iterable<RawRow>, options: Options = {}): Transformed {
  const steps = transformSteps(ticker, rows, options);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * The same, giving the event loop a turn every `slice` rows: 5,000 rows take 15–90 ms here, which
 * the API would otherwise wait out (the ETL runs in the service's process).
 */
export async function transformYielding(ticker: string, rows: Iterable<RawRow>, options: Options = {}, slice = 500): Promise<Transformed> {
  const steps = transformSteps(ticker, rows, options, slice);
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await nextTurn();
  }
}

/** Yields after every `slice` rows checked, returns the result. */
function* transformSteps(ticker: string, rows: Iterable<RawRow>, options: Options, slice = Infinity): Generator<void, Transformed> {
  const now = options.now ?? new Date();
  const symbol = normaliseTicker(ticker);
  const all = [...rows];
  const count = new Map<string, number>();
  for (const row of all) count.set(row.date, (count.get(row.date) ?? 0) + 1);
  for (const date of options.duplicates ?? []) count.set(date, Math.max(2, count.get(date) ?? 0));

  const bars: Bar[] = [];
  const rejections: Rejection[] = [];
  let rejected = 0;
  const reject = (date: string, reason: string) => {
    rejected++;
    if (rejections.length < MAX_REJECTIONS_KEPT) rejections.push({ date: String(date).slice(0, 40), reason });
  };
  for (const [i, row] of all.entries()) {
    if (i > 0 && i % slice === 0) yield;
    // A date listed twice is ambiguous: neither copy is trusted.
    if ((count.get(row.date) ?? 0) > 1) {
      reject(row.date, 'duplicate date');
      continue;
    }
    const result = check(symbol, row, now);
    if (typeof result === 'string') reject(row.date, result);
    else bars.push(result);
  }
  bars.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { bars, rejected, rejections };
}
