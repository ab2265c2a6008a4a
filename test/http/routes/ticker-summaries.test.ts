// GET /api/v1/ticker-summaries and the per-ticker stats its triggers keep (migration 0004): the
// stats must equal a count over the table after every kind of write, however it arrives.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS_DIR, readMigrations } from '../../../src/db/driver/migrate.ts';
import { upsertBars } from '../../../src/db/repositories/market-data.ts';
import { bar, testApp } from '../../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

type Summary = { ticker: string; rows: number; first_date: string; last_date: string; close: number; previous_close: number | null; updated_at: string; fetched_at: string | null };

describe.each(DATABASE_KINDS)('ticker summaries on %s', (kind) => {
  let t: TestDatabase;
  let app: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    // Migrate up to 0003, write rows, then apply the rest: 0004 must count what was already there.
    t = await openTestDatabase(kind, { migrate: false });
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
    for (const m of readMigrations().filter((m) => m.version < 4)) fs.copyFileSync(path.join(MIGRATIONS_DIR, `${m.id}.sql`), path.join(before, `${m.id}.sql`));
    await migrate(t.db, { dir: before });
    fs.rmSync(before, { recursive: true });
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT tk, date '2023-01-01' + d, 10, 12, 9, 11 + d / 100.0, 100 FROM unnest(ARRAY['OLD', 'OLDER']) AS tk, generate_series(0, 29) AS d`);
    await migrate(t.db);
    app = await testApp(t.db);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  const summaries = async (): Promise<Summary[]> => {
    const res = await app.inject('/api/v1/ticker-summaries');
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  /** The same facts computed the slow way, over every row. */
  const counted = async () => (await t.db.query<{ ticker: string; rows: number; first_date: string; last_date: string }>(
    `SELECT ticker, count(*) AS rows, min(date) AS first_date, max(date) AS last_date FROM market_data GROUP BY ticker ORDER BY ticker`)).rows;
  const expectExact = async () => {
    const listed = await summaries();
    expect(listed.map(({ ticker, rows, first_date, last_date }) => ({ ticker, rows, first_date, last_date }))).toEqual(await counted());
    return listed;
  };

  it('counts the rows that were there before the migration', async () => {
    const listed = await expectExact();
    expect(listed[0]).toMatchObject({ ticker: 'OLD', rows: 30, first_date: '2023-01-01', last_date: '2023-01-30', close: 11.29, previous_close: 11.28, fetched_at: null });
  });

  it('stays exact through API writes, upserts, SQL updates, deletes and truncate', async () => {
    const post = (overrides: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar(overrides) });
    expect((await post({ ticker: 'NEW', date: '2024-01-02', close: 150.5 })).statusCode).toBe(201);
    const single = (await expectExact()).find((s) => s.ticker === 'NEW')!;
    expect(single).toMatchObject({ rows: 1, close: 150.5, previous_close: null });

    const bars = Array.from({ length: 40 }, (_, i) => ({
      ticker: i % 2 ? 'NEW' : 'OLD', date: `2024-02-${String(1 + (i >> 1)).padStart(2, '0')}`,
      open: '10', high: '12', low: '9', close: '11.25', volume: 5,
    })).filter((b) => b.date <= '2024-02-20');
    await t.db.transaction((tx) => upsertBars(tx, bars));
    await expectExact();
    const afterUpsert = (await summaries()).find((s) => s.ticker === 'NEW')!;
    expect(afterUpsert.updated_at > single.updated_at).toBe(true);

    // An upsert that changes nothing is no change.
    await t.db.transaction((tx) => upsertBars(tx, bars));
    expect((await summaries()).find((s) => s.ticker === 'NEW')!.updated_at).toBe(afterUpsert.updated_at);

    // A change of ticker in SQL moves rows between counts.
    await t.db.query(`UPDATE market_data SET ticker = 'MOVED' WHERE ticker = 'OLDER' AND date < '2023-01-11'`);
    await t.db.query(`UPDATE market_data SET close = 11.5 WHERE ticker = 'OLD'`);
    await expectExact();
    await t.db.query(`DELETE FROM market_data WHERE ticker = 'MOVED'`);
    const listed = await expectExact();
    expect(listed.map((s) => s.ticker)).toEqual(['NEW', 'OLD', 'OLDER']); // a ticker with no rows left is gone

    await t.db.exec('TRUNCATE market_data');
    expect(await summaries()).toEqual([]);
    const { rows } = await t.db.query('SELECT * FROM market_data_ticker_totals');
    expect(rows).toEqual([]);
  });

  it('says when the ETL last fetched a ticker', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker: 'ETLD' }) });
    const { rows } = await t.db.query<{ id: number }>(`INSERT INTO etl_runs (trigger, status, tickers) VALUES ('api', 'completed', '{ETLD}') RETURNING id`);
    await t.db.query(`INSERT INTO etl_run_tickers (run_id, position, ticker, status, fetched_at, started_at)
      VALUES ($1, 0, 'ETLD', 'success', '2024-05-06T07:08:09.123456Z', '2024-05-06T07:08:00Z')`, [rows[0]!.id]);
    expect((await summaries()).find((s) => s.ticker === 'ETLD')).toMatchObject({ fetched_at: '2024-05-06T07:08:09.123456Z', rows: 1 });
  });
});
