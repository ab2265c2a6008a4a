// What the service does in the background: fold count deltas, vacuum the count tables folding
// churns (on both databases: a server's autovacuum may be off), and on the embedded database
// (which has no autovacuum) vacuum and analyze the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Maintenance, statisticsStale } from '../../../src/db/repositories/maintenance.ts';
import { compactCounts } from '../../../src/db/repositories/counts.ts';
import { captureLogger, testConfig } from '../../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DATABASE_KINDS)('maintenance on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => { t = await openTestDatabase(kind); });
  afterAll(async () => t?.drop());

  it('folds deltas as they come, vacuums the count tables, and keeps the embedded database analyzed and vacuumed', async () => {
    const config = testConfig({ LOG_LEVEL: 'warn' });
    const { logger, lines } = captureLogger(config);
    const maintenance = new Maintenance(t.db, logger, { compactMs: 50, sweepMs: 100, firstTidyMs: 100, tidyMs: 500, vacuumDataMs: 1000 });
    maintenance.start();
    try {
      await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
        SELECT 'M' || n, date '2024-01-01' + d, 10, 11, 9, 10, 1 FROM generate_series(1, 5) n, generate_series(0, 99) d`);
      await t.db.query(`UPDATE market_data SET close = 10.5 WHERE ticker = 'M1'`); // dead rows
      const pending = async () => (await t.db.query<{ n: number }>(
        'SELECT (SELECT count(*) FROM market_data_day_count_deltas) + (SELECT count(*) FROM market_data_ticker_stat_deltas) AS n')).rows[0]!.n;
      const until = Date.now() + 5000;
      while ((await pending()) > 0 && Date.now() < until) await sleep(20);
      expect(await pending()).toBe(0);
      expect((await t.db.query('SELECT rows FROM market_data_total')).rows).toEqual([{ rows: 500 }]);
      // The folded deltas' dead rows are vacuumed away, the emptied pages given back.
      const swept = async () => (await t.db.query<{ vacuumed: boolean; pages: number }>(
        `SELECT last_vacuum IS NOT NULL AS vacuumed, (pg_relation_size('market_data_day_count_deltas') / 8192)::int AS pages
         FROM pg_stat_user_tables WHERE relname = 'market_data_day_count_deltas'`)).rows[0]!;
      while (!((await swept()).vacuumed && (await swept()).pages === 0) && Date.now() < until + 5000) await sleep(50);
      expect(await swept()).toEqual({ vacuumed: true, pages: 0 });
      if (kind === 'pglite') {
        const stats = async () => (await t.db.query<{ analyzed: boolean; vacuumed: boolean }>(
          `SELECT last_analyze IS NOT NULL AS analyzed, last_vacuum IS NOT NULL AS vacuumed FROM pg_stat_user_tables WHERE relname = 'market_data'`)).rows[0]!;
        // A tidying that ran before the deltas were folded found the statistics fresh (the total and
        // reltuples both 0); one after the fold analyzes.
        const done = async () => { const s = await stats(); return s.analyzed && s.vacuumed; };
        while (!(await done()) && Date.now() < until + 10_000) await sleep(50);
        expect(await stats()).toEqual({ analyzed: true, vacuumed: true });
      }
    } finally {
      await maintenance.stop();
    }
    expect(lines.filter((l) => l.includes('maintenance failed'))).toEqual([]);
  });

  it('calls market_data\'s statistics stale when never gathered or off by more than 50 rows + 10%', async () => {
    await t.db.exec('ANALYZE market_data');
    await compactCounts(t.db);
    expect(await statisticsStale(t.db)).toBe(false);
    const before = (await t.db.query<{ rows: number }>('SELECT rows FROM market_data_total')).rows[0]!.rows;
    const add = async (ticker: string, days: number) => {
      await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
        SELECT $1, date '2000-01-01' + d, 10, 11, 9, 10, 1 FROM generate_series(0, $2::int - 1) d`, [ticker, days]);
      await compactCounts(t.db);
    };
    await add('S1', Math.floor(0.1 * before) + 40); // within the threshold
    expect(await statisticsStale(t.db)).toBe(false);
    await add('S2', 30); // now past it
    expect(await statisticsStale(t.db)).toBe(true);
    await t.db.exec('ANALYZE market_data');
    expect(await statisticsStale(t.db)).toBe(false);
  });
});
