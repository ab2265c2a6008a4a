// The quality report in SQL against the calendar (db/repositories/quality.ts), on both databases: seeded
// defects each found with the right reason and date (acceptance 1), a 1995–2030 sweep with no
// session reported missing (2), and stale/provisional flags on a simulated clock (4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestPublishedSession, PUBLISHED_BY_MINUTES } from '../../../src/etl/freshness.ts';
import { closures, earlyCloses, SPECIAL_CLOSURES } from '../../../src/model/calendar.ts';
import { findingReason } from '../../../src/model/quality.ts';
import { missingSessions, qualityCounts, tickerQuality } from '../../../src/db/repositories/quality.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

const at = (iso: string) => ({ latestSession: latestPublishedSession(new Date(iso)), publishedByMinutes: PUBLISHED_BY_MINUTES });
const NOW = at('2026-01-15T12:00:00Z');

describe.each(DATABASE_KINDS)('quality report on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.drop();
  });

  /** Bars on every session of the calendar (exchange_sessions) in a range, close 100 and volume 1000. */
  const seed = (ticker: string, from: string, to: string) => t.db.query(
    `INSERT INTO market_data (ticker, date, open, high, low, close, volume)
     SELECT $1, date, 100, 100, 100, 100, 1000 FROM exchange_sessions WHERE date BETWEEN $2 AND $3`, [ticker, from, to]);
  const setClose = (ticker: string, from: string, to: string, close: string) => t.db.query(
    `UPDATE market_data SET open = $4, high = $4, low = $4, close = $4 WHERE ticker = $1 AND date BETWEEN $2 AND $3`, [ticker, from, to, close]);

  it('finds each seeded defect with its reason and date; a recorded split clears the halving', async () => {
    await qualityCounts(t.db, NOW); // fills exchange_sessions
    await seed('SEED', '2023-01-03', '2023-12-29');
    await t.db.query(`DELETE FROM market_data WHERE ticker = 'SEED' AND date IN ('2023-03-15', '2023-06-01', '2023-06-02')`);
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume) VALUES ('SEED', '2023-04-08', 100, 100, 100, 100, 10)`);
    await setClose('SEED', '2023-08-01', '2023-12-29', '50'); // 2-for-1 without a split record
    await setClose('SEED', '2023-10-10', '2023-10-10', '5000'); // ×100 for one day
    await t.db.query(`UPDATE market_data SET volume = 0 WHERE ticker = 'SEED' AND date = '2023-11-15'`);

    const report = (await tickerQuality(t.db, NOW, 'SEED'))!;
    const found = report.findings.map((f) => [f.kind, f.date]);
    expect(found).toEqual([
      ['missing', '2023-03-15'],
      ['non_session', '2023-04-08'],
      ['missing', '2023-06-01'],
      ['missing', '2023-06-02'],
      ['possible_split', '2023-08-01'],
      ['unit_error', '2023-10-10'],
      ['unit_error', '2023-10-11'], // and back
      ['zero_volume', '2023-11-15'],
    ]);
    const reasons = Object.fromEntries(report.findings.map((f) => [`${f.kind} ${f.date}`, findingReason(f)]));
    expect(reasons['possible_split 2023-08-01']).toBe('close 100 → 50 with no split recorded that day: possible missing split (near 2-for-1)');
    expect(reasons['unit_error 2023-10-10']).toBe('close 50 → 5000: ×100, possible unit error');
    expect(reasons['unit_error 2023-10-11']).toBe('close 5000 → 50: ÷100, possible unit error');
    expect(report.counts).toMatchObject({
      first_date: '2023-01-03', last_date: '2023-12-29', expected: 250, stored: 247, missing: 3,
      non_session: 1, possible_split: 1, unit_error: 2, zero_volume: 1, provisional: 0,
    });
    // The newest bar is 2023-12-29: every session since then is behind.
    expect(report.counts.sessions_behind).toBeGreaterThan(400);

    await t.db.query(`INSERT INTO splits (ticker, ex_date, factor) VALUES ('SEED', '2023-08-01', 2)`);
    const after = (await tickerQuality(t.db, NOW, 'SEED'))!;
    expect(after.findings.map((f) => f.kind)).not.toContain('possible_split');
    expect(after.counts.possible_split).toBe(0);

    // A requested range: only its findings, and its sessions are the ones expected.
    const june = (await tickerQuality(t.db, NOW, 'SEED', { start: '2023-05-30', end: '2023-06-05' }))!;
    expect(june.findings.map((f) => [f.kind, f.date])).toEqual([['missing', '2023-06-01'], ['missing', '2023-06-02']]);
    expect(june.counts).toMatchObject({ expected: 5, stored: 3, missing: 2 });
  });

  it('reports no session missing from 1995 to 2030, and every closure as a non-session bar', async () => {
    await seed('SWEEP', '1995-01-01', '2030-12-31');
    // Every weekday instead: exactly the closures are bars on non-sessions.
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT 'WEEKDAYS', d::date, 100, 100, 100, 100, 1000 FROM generate_series(date '1995-01-02', date '2030-12-31', interval '1 day') AS d
      WHERE extract(isodow FROM d) < 6`);
    // Written after every one was published: bars dated in the future would be provisional.
    await t.db.query(`UPDATE market_data SET updated_at = '2031-01-01' WHERE ticker IN ('SWEEP', 'WEEKDAYS')`);
    const counts = Object.fromEntries((await qualityCounts(t.db, NOW)).map((c) => [c.ticker, c]));
    expect(counts.SWEEP).toMatchObject({ missing: 0, non_session: 0, possible_split: 0, unit_error: 0, zero_volume: 0, provisional: 0, sessions_behind: 0 });
    const closed: string[] = [];
    for (let y = 1995; y <= 2030; y++) closed.push(...closures(y).map((c) => c.date));
    expect(counts.WEEKDAYS).toMatchObject({ missing: 0, non_session: closed.length, stored: counts.SWEEP!.stored });

    const sweep = (await tickerQuality(t.db, NOW, 'SWEEP'))!;
    expect(sweep.findings).toEqual([]);
    const weekdays = (await tickerQuality(t.db, NOW, 'WEEKDAYS'))!;
    const nonSessions = weekdays.findings.filter((f) => f.kind === 'non_session').map((f) => f.date);
    expect(nonSessions).toEqual(closed);
    for (const c of SPECIAL_CLOSURES.filter((c) => c.date >= '1995')) expect(nonSessions).toContain(c.date);
    // Early closes are sessions like any other.
    const early = earlyCloses(2024).map((c) => c.date);
    expect(early.filter((d) => nonSessions.includes(d))).toEqual([]);
  });

  it('flags stale and provisional by the clock around the publication time', async () => {
    await seed('CLOCK', '2024-12-02', '2024-12-19'); // newest bar Thursday 2024-12-19
    const stale = async (iso: string) => (await qualityCounts(t.db, at(iso), 'CLOCK'))[0]!.sessions_behind;
    expect(await stale('2024-12-23T22:59:00Z')).toBe(1); // Mon 17:59 NY: Friday's bar is the latest published
    expect(await stale('2024-12-23T23:00:00Z')).toBe(2); // 18:00: Monday's too
    expect(await stale('2024-12-24T22:59:00Z')).toBe(2);
    expect(await stale('2024-12-24T23:00:00Z')).toBe(3); // the early close's bar: now stale with STALE_SESSIONS=2
    expect(await stale('2024-12-26T14:00:00Z')).toBe(3); // Christmas adds no session

    // A bar for 2024-12-20 written at 17:59 New York is provisional; at 18:00 it is final.
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume, updated_at)
      VALUES ('CLOCK', '2024-12-20', 100, 100, 100, 100, 500, timestamptz '2024-12-20 17:59:00 America/New_York')`);
    const provisional = async () => (await tickerQuality(t.db, at('2024-12-20T23:30:00Z'), 'CLOCK'))!.findings.filter((f) => f.kind === 'provisional').map((f) => f.date);
    expect(await provisional()).toEqual(['2024-12-20']);
    await t.db.query(`UPDATE market_data SET updated_at = timestamptz '2024-12-20 18:00:00 America/New_York' WHERE ticker = 'CLOCK' AND date = '2024-12-20'`);
    expect(await provisional()).toEqual([]);
    // Written early but fetched again (unchanged) after publication: final.
    await t.db.query(`UPDATE market_data SET updated_at = timestamptz '2024-12-20 10:00:00 America/New_York' WHERE ticker = 'CLOCK' AND date = '2024-12-20'`);
    expect(await provisional()).toEqual(['2024-12-20']);
    await t.db.query(`INSERT INTO ticker_datasets (source, ticker, dataset, fetched_at) VALUES ('alpha_vantage', 'CLOCK', 'daily', timestamptz '2024-12-20 18:30:00 America/New_York')`);
    expect(await provisional()).toEqual([]);
  });

  it('lists the recent missing sessions for the planner and counts the older ones', async () => {
    await seed('HOLES', '2024-01-02', '2024-12-31');
    await t.db.query(`DELETE FROM market_data WHERE ticker = 'HOLES' AND date IN ('2024-02-05', '2024-03-05', '2024-11-04', '2024-12-02')`);
    const gaps = await missingSessions(t.db, ['HOLES', 'NONE'], '2024-10-01');
    expect(Object.fromEntries(gaps)).toEqual({ HOLES: { recent: ['2024-11-04', '2024-12-02'], older: 2 } });
  });
});
