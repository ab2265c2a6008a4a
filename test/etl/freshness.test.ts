import { describe, expect, it } from 'vitest';
import { isUpToDate, latestExpectedSession, newerPeriodPossible, newYork, periodOf, weekdaysAfter } from '../../src/etl/freshness.ts';

describe('newYork', () => {
  it.each([
    ['2024-01-15T23:30:00Z', { date: '2024-01-15', minutes: 18 * 60 + 30 }], // EST, UTC-5
    ['2024-01-16T04:59:00Z', { date: '2024-01-15', minutes: 23 * 60 + 59 }],
    ['2024-07-15T22:00:00Z', { date: '2024-07-15', minutes: 18 * 60 }], // EDT, UTC-4
    ['2024-07-16T03:59:00Z', { date: '2024-07-15', minutes: 23 * 60 + 59 }],
  ])('%s', (iso, expected) => expect(newYork(new Date(iso))).toEqual(expected));
});

describe('weekdaysAfter', () => {
  it.each([
    ['2024-01-12', '2024-01-12', 0], // Fri → Fri
    ['2024-01-12', '2024-01-15', 1], // Fri → Mon: Mon only
    ['2024-01-12', '2024-01-14', 0], // Fri → Sun
    ['2024-01-01', '2024-01-31', 22],
    ['2023-01-01', '2024-01-01', 261],
  ])('(%s, %s] has %i', (from, to, n) => expect(weekdaysAfter(from, to)).toBe(n));
  it('stops counting at the cap', () => expect(weekdaysAfter('2000-01-01', '2024-01-01', 100)).toBe(100));
});

describe('latestExpectedSession', () => {
  it.each([
    ['2024-01-17T15:00:00Z', '2024-01-16'], // Wed 10:00 NY: Tuesday's bar
    ['2024-01-17T23:01:00Z', '2024-01-17'], // Wed 18:01 NY: Wednesday's
    ['2024-01-15T12:00:00Z', '2024-01-12'], // Mon morning: Friday's
    ['2024-01-13T23:30:00Z', '2024-01-12'], // Saturday evening: Friday's
    ['2024-01-16T03:00:00Z', '2024-01-15'], // Mon 22:00 NY (Tue in UTC): Monday's
  ])('at %s → %s', (iso, date) => expect(latestExpectedSession(new Date(iso))).toBe(date));
});

describe('periodOf', () => {
  it.each([
    ['1w', '2025-12-08', '2025-12-08'], // a Monday is its own week's
    ['1w', '2025-12-05', '2025-12-01'], // Friday
    ['1w', '2017-04-13', '2017-04-10'], // the Thursday before Good Friday keys its week
    ['1w', '2025-12-07', '2025-12-01'], // Sunday belongs to the week before
    ['1w', '2025-01-01', '2024-12-30'], // across a year
    ['1mo', '2024-03-28', '2024-03-01'],
    ['1mo', '2024-02-29', '2024-02-01'],
  ] as const)('%s of %s → %s', (interval, date, period) => expect(periodOf(interval, date)).toBe(period));
});

describe('newerPeriodPossible', () => {
  it.each([
    ['1w', '2025-12-03T23:00:00Z', '2025-12-06T15:00:00Z', false], // Wed evening → Saturday: same week
    ['1w', '2025-12-03T23:00:00Z', '2025-12-08T15:00:00Z', false], // → Monday morning: Friday's is the latest
    ['1w', '2025-12-03T23:00:00Z', '2025-12-08T23:30:00Z', true], // → Monday evening: a new week
    ['1mo', '2025-11-28T23:30:00Z', '2025-12-01T20:00:00Z', false],
    ['1mo', '2025-11-28T23:30:00Z', '2025-12-01T23:30:00Z', true],
  ] as const)('%s fetched %s, now %s → %s', (interval, fetched, now, expected) =>
    expect(newerPeriodPossible(interval, new Date(fetched), new Date(now))).toBe(expected));
});

describe('isUpToDate', () => {
  const wedMorning = new Date('2024-01-17T15:00:00Z');
  const wedEvening = new Date('2024-01-17T23:30:00Z');
  it.each([
    ['a new ticker', undefined, undefined, wedMorning, false],
    ["Tuesday's bar on Wednesday morning", '2024-01-16', undefined, wedMorning, true],
    ["Monday's bar on Wednesday morning", '2024-01-15', undefined, wedMorning, false],
    ["Tuesday's bar on Wednesday evening", '2024-01-16', undefined, wedEvening, false],
    ['asked after the close already, nothing new (holiday)', '2024-01-16', new Date('2024-01-17T23:05:00Z'), wedEvening, true],
    ['asked before the close', '2024-01-16', new Date('2024-01-17T20:00:00Z'), wedEvening, false],
  ])('%s → %s', (_name, newest, fetched, now, expected) => expect(isUpToDate(newest, fetched, now)).toBe(expected));
});
