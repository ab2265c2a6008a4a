// When to ask Alpha Vantage, and for how much. Dates are US/Eastern trading dates, so "today"
// and "after the close" are judged on New York's clock, never the host's.

/** Rows a compact answer holds: the newest 100 trading days. */
export const COMPACT_ROWS = 100;
/**
 * New York time after which a weekday's bar is expected to be final and published. The market
 * closes at 16:00; Alpha Vantage's daily series is refreshed some time after that.
 */
export const PUBLISHED_BY_MINUTES = 18 * 60;

const NY = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/** The New York calendar date and minute of the day at `instant`. */
export function newYork(instant: Date): { date: string; minutes: number } {
  const p = Object.fromEntries(NY.formatToParts(instant).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, minutes: Number(p.hour) * 60 + Number(p.minute) };
}

const DAY = 86_400_000;
const toUtc = (date: string): number => Date.parse(`${date}T00:00:00Z`);
const fromUtc = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const isWeekday = (ms: number): boolean => { const d = new Date(ms).getUTCDay(); return d !== 0 && d !== 6; };

/** Weekdays d with from < d ≤ to, counting no further than `cap`. */
export function weekdaysAfter(from: string, to: string, cap = Infinity): number {
  let n = 0;
  for (let ms = toUtc(from) + DAY, end = toUtc(to); ms <= end && n < cap; ms += DAY) if (isWeekday(ms)) n++;
  return n;
}

/** The latest weekday whose bar should be published by `now` (holidays are not known here). */
export function latestExpectedSession(now: Date): string {
  const ny = newYork(now);
  let ms = toUtc(ny.date);
  if (!(isWeekday(ms) && ny.minutes >= PUBLISHED_BY_MINUTES)) {
    do ms -= DAY; while (!isWeekday(ms));
  }
  return fromUtc(ms);
}

export type OutputSize = 'compact' | 'full';

/**
 * compact (the newest 100 rows) when the newest stored bar is recent enough that they reach back
 * to it; full when the ticker is new, the gap is larger, or full history is asked for.
 */
export function chooseOutputSize(newestStored: string | undefined, now: Date, wantFull: boolean): OutputSize {
  if (wantFull || !newestStored) return 'full';
  // Trading days missing ≤ weekdays since the newest bar (holidays only make it fewer).
  return weekdaysAfter(newestStored, newYork(now).date, COMPACT_ROWS) < COMPACT_ROWS ? 'compact' : 'full';
}

/**
 * Nothing newer can exist when the newest stored bar is the latest expected session, or when
 * Alpha Vantage already answered with data after that session's bar was due (a holiday, or a
 * quiet symbol). Asking again would only spend the daily budget.
 */
export function isUpToDate(newestStored: string | undefined, lastFetchedAt: Date | undefined, now: Date): boolean {
  if (!newestStored) return false;
  const expected = latestExpectedSession(now);
  if (newestStored >= expected) return true;
  if (!lastFetchedAt) return false;
  const fetched = newYork(lastFetchedAt);
  return fetched.date > expected || (fetched.date === expected && fetched.minutes >= PUBLISHED_BY_MINUTES);
}
