// The NYSE calendar against the exchange's published holiday lists, its special closures, the
// observed-day edge cases and the early closes.
import { describe, expect, it } from 'vitest';
import { closures, earlyCloses, isEarlyClose, isSession, LAST_YEAR, sessionOnOrBefore, sessionsBetween, SPECIAL_CLOSURES } from '../../src/model/calendar.ts';
import { latestPublishedSession } from '../../src/etl/freshness.ts';

describe('closures match the published holiday lists', () => {
  it.each([
    [1995, ['01-02', '02-20', '04-14', '05-29', '07-04', '09-04', '11-23', '12-25']], // no MLK Day before 1998
    [1999, ['01-01', '01-18', '02-15', '04-02', '05-31', '07-05', '09-06', '11-25', '12-24']],
    [2001, ['01-01', '01-15', '02-19', '04-13', '05-28', '07-04', '09-03', '09-11', '09-12', '09-13', '09-14', '11-22', '12-25']],
    [2012, ['01-02', '01-16', '02-20', '04-06', '05-28', '07-04', '09-03', '10-29', '10-30', '11-22', '12-25']],
    [2019, ['01-01', '01-21', '02-18', '04-19', '05-27', '07-04', '09-02', '11-28', '12-25']],
    [2020, ['01-01', '01-20', '02-17', '04-10', '05-25', '07-03', '09-07', '11-26', '12-25']],
    [2021, ['01-01', '01-18', '02-15', '04-02', '05-31', '07-05', '09-06', '11-25', '12-24']],
    [2022, ['01-17', '02-21', '04-15', '05-30', '06-20', '07-04', '09-05', '11-24', '12-26']], // New Year's on a Saturday: none
    [2023, ['01-02', '01-16', '02-20', '04-07', '05-29', '06-19', '07-04', '09-04', '11-23', '12-25']],
    [2024, ['01-01', '01-15', '02-19', '03-29', '05-27', '06-19', '07-04', '09-02', '11-28', '12-25']],
    [2025, ['01-01', '01-09', '01-20', '02-17', '04-18', '05-26', '06-19', '07-04', '09-01', '11-27', '12-25']],
    [2026, ['01-01', '01-19', '02-16', '04-03', '05-25', '06-19', '07-03', '09-07', '11-26', '12-25']],
    [2027, ['01-01', '01-18', '02-15', '03-26', '05-31', '06-18', '07-05', '09-06', '11-25', '12-24']],
  ])('%i', (year, days) => {
    expect(closures(year).map((c) => c.date)).toEqual(days.map((d) => `${year}-${d}`));
  });
});

describe('special closures', () => {
  it.each(SPECIAL_CLOSURES.map((c) => [c.date, c.name]))('%s (%s) is no session', (date) => {
    expect(isSession(date)).toBe(false);
  });
});

describe('observed-day edge cases', () => {
  it.each([
    ['1993-12-31', true], // New Year's 1994 on a Saturday: the Friday before trades
    ['2010-12-31', true],
    ['2021-12-31', true],
    ['2017-01-02', false], // New Year's on a Sunday: Monday closed
    ['2022-06-20', false], // Juneteenth on a Sunday: Monday
    ['2027-06-18', false], // Juneteenth on a Saturday: Friday
    ['2021-06-18', true], // before Juneteenth was an exchange holiday
    ['2015-07-03', false], // Independence Day on a Saturday
    ['2021-07-05', false], // on a Sunday
    ['2010-12-24', false], // Christmas on a Saturday
    ['2011-12-26', false], // on a Sunday
    ['1997-01-20', true], // MLK Day traded until 1998
    ['1998-01-19', false],
    ['2024-01-13', false], // a Saturday
    ['2024-01-16', true],
  ])('%s is a session: %s', (date, session) => expect(isSession(date)).toBe(session));
});

describe('early closes', () => {
  it.each([
    [2019, ['07-03', '11-29', '12-24']],
    [2020, ['11-27', '12-24']], // July 3 was the holiday
    [2021, ['11-26']],
    [2022, ['11-25']],
    [2023, ['07-03', '11-24']],
    [2024, ['07-03', '11-29', '12-24']],
    [2025, ['07-03', '11-28', '12-24']],
    [2026, ['11-27', '12-24']],
  ])('%i', (year, days) => {
    expect(earlyCloses(year).map((c) => c.date)).toEqual(days.map((d) => `${year}-${d}`));
    for (const d of days) expect(isSession(`${year}-${d}`) && isEarlyClose(`${year}-${d}`)).toBe(true);
  });
});

describe('sessions', () => {
  it.each([
    [2019, 252], [2020, 253], [2021, 252], [2022, 251], [2023, 250], [2024, 252], [2025, 250],
  ])('%i has %i sessions', (year, n) => expect(sessionsBetween(`${year}-01-01`, `${year}-12-31`)).toHaveLength(n));

  it(`covers 1990 to ${LAST_YEAR}: every year has 240 to 255 sessions`, () => {
    for (let y = 1990; y <= LAST_YEAR; y++) {
      const n = sessionsBetween(`${y}-01-01`, `${y}-12-31`).length;
      expect(n, String(y)).toBeGreaterThanOrEqual(240);
      expect(n, String(y)).toBeLessThanOrEqual(255);
    }
  });

  it.each([
    ['2024-12-25', '2024-12-24'], ['2024-12-28', '2024-12-27'], ['2001-09-16', '2001-09-10'], ['2024-12-27', '2024-12-27'],
  ])('the session on or before %s is %s', (date, session) => expect(sessionOnOrBefore(date)).toBe(session));
});

describe('latestPublishedSession', () => {
  it.each([
    ['2024-12-24T22:59:00Z', '2024-12-23'], // Christmas Eve 17:59 NY: Monday's bar
    ['2024-12-24T23:00:00Z', '2024-12-24'], // 18:00 NY: the early close's own
    ['2024-12-26T15:00:00Z', '2024-12-24'], // the morning after Christmas
    ['2025-01-10T15:00:00Z', '2025-01-08'], // past the Carter closure
    ['2024-07-05T12:00:00Z', '2024-07-03'],
  ])('at %s → %s', (at, date) => expect(latestPublishedSession(new Date(at))).toBe(date));
});
