// When a dataset can have changed. Dates are US/Eastern trading dates, so "today" and "after the
// close" are judged on New York's clock, never the host's.
import { isSession, sessionOnOrBefore } from '../model/calendar.ts';

/**
 * New York time after which a weekday's bar is expected to be final and published. The market
 * closes at 16:00; sources refresh their daily series some time after that.
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

/** The weekday of a date, 0 = Sunday … 6 = Saturday. */
export const weekdayOf = (date: string): number => new Date(toUtc(date)).getUTCDay();

/** `days` calendar days after `date` (before, when negative). */
export const addDays = (date: string, days: number): string => fromUtc(toUtc(date) + days * DAY);

/**
 * The first calendar day of the week (its Monday) or month holding `date`: what identifies a
 * weekly or monthly bar, whichever trading day the source keys it by (migration 0007's `period`).
 */
export function periodOf(interval: '1w' | '1mo', date: string): string {
  if (interval === '1mo') return `${date.slice(0, 8)}01`;
  return addDays(date, -((weekdayOf(date) + 6) % 7));
}

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

/**
 * The latest exchange session whose bar should be published by `now`: like latestExpectedSession,
 * with the exchange's holidays and special closures known (model/calendar.ts).
 */
export function latestPublishedSession(now: Date): string {
  const ny = newYork(now);
  return sessionOnOrBefore(isSession(ny.date) && ny.minutes >= PUBLISHED_BY_MINUTES ? ny.date : addDays(ny.date, -1));
}

/**
 * Whether a weekly or monthly series fetched at `fetchedAt` can hold a newer period now: the
 * latest session published now falls in a later week (month) than the latest one published then.
 * The newest bar of a period is partial until the period ends; it is completed by the refresh
 * that brings the next period.
 */
export function newerPeriodPossible(interval: '1w' | '1mo', fetchedAt: Date, now: Date): boolean {
  return periodOf(interval, latestExpectedSession(now)) > periodOf(interval, latestExpectedSession(fetchedAt));
}

/**
 * Nothing newer can exist when the newest stored bar is the latest expected session, or when
 * the source already answered with data after that session's bar was due (a holiday, or a
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
