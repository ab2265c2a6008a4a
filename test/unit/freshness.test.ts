import { describe, expect, it } from 'vitest';
import { chooseOutputSize, isUpToDate, latestExpectedSession, newYork, weekdaysAfter } from '../../src/etl/freshness.ts';

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

describe('chooseOutputSize', () => {
  const now = new Date('2024-06-14T15:00:00Z'); // Friday
  it.each([
    [undefined, false, 'full'],
    ['2024-06-13', false, 'compact'],
    ['2024-06-13', true, 'full'],
    ['2024-01-29', false, 'compact'], // 99 weekdays before
    ['2024-01-26', false, 'full'], // 100 weekdays: the compact answer might not reach back
    ['2010-01-01', false, 'full'],
  ])('newest %s, full asked %s → %s', (newest, full, expected) => expect(chooseOutputSize(newest, now, full)).toBe(expected));
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
