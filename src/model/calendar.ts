// The NYSE trading calendar, 1990–2035: which weekdays the exchange is closed, and which sessions
// close early (13:00 New York). A small rule table: the regular holidays by their rules, the
// special closures listed by date. No npm library we found is both maintained and exact for the
// years before 2000 (MLK Day only from 1998, New Year's Saturday rule, Juneteenth from 2022).
// Dates are `YYYY-MM-DD` New York trading dates; the arithmetic runs on UTC midnights.

const FIRST_YEAR = 1990;
export const LAST_YEAR = 2035;
export const FIRST_DATE = `${FIRST_YEAR}-01-01`;
export const LAST_DATE = `${LAST_YEAR}-12-31`;

interface Closure { date: string; name: string }

/** Closures that no rule makes: funerals of presidents, 9/11, storms (NYSE's published history). */
export const SPECIAL_CLOSURES: readonly Closure[] = [
  { date: '1994-04-27', name: 'National Day of Mourning for Richard Nixon' },
  { date: '2001-09-11', name: 'September 11 attacks' },
  { date: '2001-09-12', name: 'September 11 attacks' },
  { date: '2001-09-13', name: 'September 11 attacks' },
  { date: '2001-09-14', name: 'September 11 attacks' },
  { date: '2004-06-11', name: 'National Day of Mourning for Ronald Reagan' },
  { date: '2007-01-02', name: 'National Day of Mourning for Gerald Ford' },
  { date: '2012-10-29', name: 'Hurricane Sandy' },
  { date: '2012-10-30', name: 'Hurricane Sandy' },
  { date: '2018-12-05', name: 'National Day of Mourning for George H. W. Bush' },
  { date: '2025-01-09', name: 'National Day of Mourning for Jimmy Carter' },
];

const DAY = 86_400_000;
const ms = (date: string): number => Date.parse(`${date}T00:00:00Z`);
const iso = (t: number): string => new Date(t).toISOString().slice(0, 10);
const ymd = (y: number, m: number, d: number): string => iso(Date.UTC(y, m - 1, d));
export const weekday = (date: string): number => new Date(ms(date)).getUTCDay();
export const addDays = (date: string, days: number): string => iso(ms(date) + days * DAY);

/** The n-th (1-based) weekday `wd` of a month; n = -1 is the last. */
function nthWeekday(y: number, m: number, wd: number, n: number): string {
  if (n < 0) {
    const last = ymd(y, m + 1, 0);
    return addDays(last, -((weekday(last) - wd + 7) % 7));
  }
  const first = ymd(y, m, 1);
  return addDays(first, (wd - weekday(first) + 7) % 7 + 7 * (n - 1));
}

/** Easter Sunday (the anonymous Gregorian algorithm). */
function easter(y: number): string {
  const a = y % 19, b = Math.floor(y / 100), c = y % 100, d = Math.floor(b / 4), e = b % 4;
  const f = Math.floor((b + 8) / 25), g = Math.floor((b - f + 1) / 3), h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4), k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  return ymd(y, month, ((h + l - 7 * m + 114) % 31) + 1);
}

/** A fixed-date holiday on a weekend moves to Friday (Saturday) or Monday (Sunday). */
function observed(date: string): string {
  const wd = weekday(date);
  return wd === 6 ? addDays(date, -1) : wd === 0 ? addDays(date, 1) : date;
}

/** The exchange's weekday closures of a year, regular and special, in date order. */
export function closures(year: number): Closure[] {
  const list: Closure[] = [];
  // New Year's Day on a Saturday is not observed: the Friday before ends a year and trades (NYSE Rule 7.2).
  const newYear = ymd(year, 1, 1);
  if (weekday(newYear) !== 6) list.push({ date: observed(newYear), name: "New Year's Day" });
  if (year >= 1998) list.push({ date: nthWeekday(year, 1, 1, 3), name: 'Martin Luther King Jr. Day' });
  list.push({ date: nthWeekday(year, 2, 1, 3), name: "Washington's Birthday" });
  list.push({ date: addDays(easter(year), -2), name: 'Good Friday' });
  list.push({ date: nthWeekday(year, 5, 1, -1), name: 'Memorial Day' });
  if (year >= 2022) list.push({ date: observed(ymd(year, 6, 19)), name: 'Juneteenth' });
  list.push({ date: observed(ymd(year, 7, 4)), name: 'Independence Day' });
  list.push({ date: nthWeekday(year, 9, 1, 1), name: 'Labor Day' });
  list.push({ date: nthWeekday(year, 11, 4, 4), name: 'Thanksgiving Day' });
  list.push({ date: observed(ymd(year, 12, 25)), name: 'Christmas Day' });
  list.push(...SPECIAL_CLOSURES.filter((c) => c.date.startsWith(`${year}-`)));
  return list.sort((a, b) => a.date.localeCompare(b.date));
}

/**
 * Sessions closing at 13:00: July 3 and December 24 when they are sessions, and the day after
 * Thanksgiving. These are today's rules, applied to every year: before about 2000 the exchange
 * decided some early closes case by case, so early closes of the 1990s may differ.
 */
export function earlyCloses(year: number): Closure[] {
  const candidates = [
    { date: ymd(year, 7, 3), name: 'Day before Independence Day' },
    { date: addDays(nthWeekday(year, 11, 4, 4), 1), name: 'Day after Thanksgiving' },
    { date: ymd(year, 12, 24), name: 'Christmas Eve' },
  ];
  return candidates.filter((c) => isSession(c.date));
}

const byYear = new Map<number, Set<string>>();
function closedDates(year: number): Set<string> {
  let set = byYear.get(year);
  if (!set) byYear.set(year, set = new Set(closures(year).map((c) => c.date)));
  return set;
}

/** Whether the exchange trades on `date` (a weekday that is no closure). */
export function isSession(date: string): boolean {
  const wd = weekday(date);
  return wd !== 0 && wd !== 6 && !closedDates(Number(date.slice(0, 4))).has(date);
}

export function isEarlyClose(date: string): boolean {
  return earlyCloses(Number(date.slice(0, 4))).some((c) => c.date === date);
}

/** Every session from `from` to `to`, both included. */
export function sessionsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) if (isSession(d)) out.push(d);
  return out;
}

/** The latest session on or before `date`. */
export function sessionOnOrBefore(date: string): string {
  let d = date;
  while (!isSession(d)) d = addDays(d, -1);
  return d;
}

/** The session `n` sessions before `date` (a session; n = 0 is itself). */
export function sessionsBack(date: string, n: number): string {
  let d = sessionOnOrBefore(date);
  for (let i = 0; i < n; i++) d = sessionOnOrBefore(addDays(d, -1));
  return d;
}
