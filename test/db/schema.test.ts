// Migrations, constraints and the maintained per-day counts, on every database kind.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compactCounts, foldCounts } from '../../src/db/repositories/counts.ts';
import { migrate, readMigrations } from '../../src/db/driver/migrate.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../helpers/databases.ts';

const insert = (t: TestDatabase, values: string) =>
  t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume) VALUES ${values}`);

/**
 * The maintained total must always equal a real count(*), per date and overall: with deltas
 * pending, and again once they are folded into the counts.
 */
async function expectCountsExact(t: TestDatabase): Promise<void> {
  for (const step of ['pending', 'compacted']) {
    if (step === 'compacted') await compactCounts(t.db);
    const { rows } = await t.db.query<{ date: string; counted: number; kept: number }>(`
      SELECT coalesce(a.date, k.date) AS date, coalesce(a.n, 0) AS counted, coalesce(k.rows, 0)::bigint AS kept
      FROM (SELECT date, count(*) AS n FROM market_data GROUP BY date) a
      FULL JOIN market_data_day_totals k ON k.date = a.date
      WHERE coalesce(a.n, 0) <> coalesce(k.rows, 0)`);
    expect(rows, step).toEqual([]);
    const total = await t.db.query<{ kept: number; counted: number }>(`SELECT
      ((SELECT rows FROM market_data_total) + (SELECT coalesce(sum(rows), 0) FROM market_data_day_count_deltas))::bigint AS kept,
      (SELECT count(*) FROM market_data) AS counted`);
    expect(total.rows[0]!.kept, `grand total, ${step}`).toBe(total.rows[0]!.counted);
  }
  const left = await t.db.query<{ pending: number; empty_days: number; empty_tickers: number }>(`SELECT
    (SELECT count(*) FROM market_data_day_count_deltas) + (SELECT count(*) FROM market_data_ticker_stat_deltas) AS pending,
    (SELECT count(*) FROM market_data_day_counts WHERE rows = 0) AS empty_days,
    (SELECT count(*) FROM market_data_ticker_stats WHERE rows = 0) AS empty_tickers`);
  // Folded, and days or tickers with no rows left are gone rather than kept as zeros.
  expect(left.rows[0]).toEqual({ pending: 0, empty_days: 0, empty_tickers: 0 });
}

describe.each(DATABASE_KINDS)('schema on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => { t = await openTestDatabase(kind); });
  afterAll(async () => { await t?.drop(); });
  beforeEach(async () => { await t.reset(); });

  it('records every migration once, and a second run applies nothing', async () => {
    const { rows } = await t.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(readMigrations().map((m) => m.version));
    expect(await migrate(t.db)).toEqual([]);
  });

  it('refuses a migration edited after it was applied', async () => {
    await t.db.query(`UPDATE schema_migrations SET checksum = 'x' WHERE version = 1`);
    try {
      await expect(migrate(t.db)).rejects.toThrow(/was edited after it was applied/);
    } finally {
      const real = readMigrations()[0]!.checksum;
      await t.db.query('UPDATE schema_migrations SET checksum = $1 WHERE version = 1', [real]);
    }
  });

  it('stores prices as exact decimals and volumes above 2^31', async () => {
    await insert(t, `('AAPL', '2024-01-15', 150.123456, 999999999.999999, 0.000001, 150.1, 3000000000)`);
    const { rows } = await t.db.query('SELECT open, high, low, close, volume, date FROM market_data');
    expect(rows[0]).toEqual({ open: '150.123456', high: '999999999.999999', low: '0.000001', close: '150.100000', volume: 3000000000, date: '2024-01-15' });
  });

  it.each([
    ['a lowercase ticker', `('aapl', '2024-01-15', 150, 155, 149, 153, 1)`, 'ck_market_data_ticker'],
    ['a ticker with a space', `('A B', '2024-01-15', 150, 155, 149, 153, 1)`, 'ck_market_data_ticker'],
    ['a ticker starting with -', `('-2-3', '2024-01-15', 150, 155, 149, 153, 1)`, 'ck_market_data_ticker'],
    ['a ticker starting with .', `('.A', '2024-01-15', 150, 155, 149, 153, 1)`, 'ck_market_data_ticker'],
    ['a zero price', `('AAPL', '2024-01-15', 0, 155, 0, 153, 1)`, 'ck_market_data_prices_positive'],
    ['a negative low', `('AAPL', '2024-01-15', 150, 155, -1, 153, 1)`, 'ck_market_data_prices_positive'],
    ['open above high', `('AAPL', '2024-01-15', 156, 155, 149, 153, 1)`, 'ck_market_data_open_in_range'],
    ['open below low', `('AAPL', '2024-01-15', 148, 155, 149, 153, 1)`, 'ck_market_data_open_in_range'],
    ['close above high', `('AAPL', '2024-01-15', 150, 155, 149, 156, 1)`, 'ck_market_data_close_in_range'],
    ['a negative volume', `('AAPL', '2024-01-15', 150, 155, 149, 153, -1)`, 'ck_market_data_volume'],
    ['a volume beyond 2^53', `('AAPL', '2024-01-15', 150, 155, 149, 153, 9007199254740992)`, 'ck_market_data_volume'],
  ])('rejects %s in SQL', async (_name, values, constraint) => {
    await expect(insert(t, values)).rejects.toMatchObject({ code: '23514', constraint });
  });

  it('adds the first-character rule over rows stored before it as NOT VALID, still checking new rows', async () => {
    const migration = readMigrations().find((m) => m.name === 'ticker_first_character')!;
    const valid = async () => (await t.db.query<{ v: boolean }>(
      `SELECT convalidated AS v FROM pg_constraint WHERE conname = 'ck_market_data_ticker'`)).rows[0]!.v;
    await t.db.exec(`ALTER TABLE market_data DROP CONSTRAINT ck_market_data_ticker;
      ALTER TABLE market_data ADD CONSTRAINT ck_market_data_ticker CHECK (ticker ~ '^[A-Z0-9.-]{1,16}$')`); // the rule before
    await insert(t, `('-2-3', '2024-01-15', 150, 155, 149, 153, 1)`);
    try {
      await t.db.exec(migration.sql);
      expect(await valid()).toBe(false);
      await expect(insert(t, `('-9', '2024-01-16', 150, 155, 149, 153, 1)`)).rejects.toMatchObject({ code: '23514', constraint: 'ck_market_data_ticker' });
    } finally {
      await t.db.exec(`DELETE FROM market_data; ${migration.sql}`);
    }
    expect(await valid()).toBe(true);
  });

  it.each([
    ['period_bars', `INSERT INTO period_bars (ticker, interval, date, open, high, low, close, volume) VALUES ('-2', '1w', '2024-01-19', 1, 1, 1, 1, 1)`],
    ['splits', `INSERT INTO splits (ticker, ex_date, factor) VALUES ('-2', '2024-01-15', 2)`],
    ['dividends', `INSERT INTO dividends (ticker, ex_date, amount) VALUES ('.A', '2024-01-15', 1)`],
  ])('holds %s to the same first-character rule', async (_table, sql) => {
    await expect(t.db.query(sql)).rejects.toMatchObject({ code: '23514' });
  });

  it('rejects a price that does not fit NUMERIC(15,6)', async () => {
    await expect(insert(t, `('AAPL', '2024-01-15', 150, 1000000000, 149, 153, 1)`)).rejects.toMatchObject({ code: '22003' });
  });

  it('keeps (ticker, date) unique', async () => {
    await insert(t, `('AAPL', '2024-01-15', 150, 155, 149, 153, 1)`);
    await expect(insert(t, `('AAPL', '2024-01-15', 150, 155, 149, 153, 2)`)).rejects.toMatchObject({ code: '23505' });
  });

  it('keeps per-day counts exact through insert, update, delete and truncate', async () => {
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT 'T' || t, date '2024-01-01' + d, 10, 11, 9, 10, 100 FROM generate_series(1, 20) t, generate_series(0, 49) d`);
    await expectCountsExact(t);
    expect((await t.db.query('SELECT sum(rows)::bigint AS n FROM market_data_day_totals')).rows[0]).toEqual({ n: 1000 });

    await t.db.query(`UPDATE market_data SET close = 10.5 WHERE ticker = 'T1'`); // no date moves
    await expectCountsExact(t);
    await t.db.query(`UPDATE market_data SET date = date + 100 WHERE ticker IN ('T2', 'T3')`); // dates move
    await expectCountsExact(t);
    await t.db.query(`DELETE FROM market_data WHERE ticker = 'T4' OR date = '2024-01-05'`);
    await expectCountsExact(t);
    // An upsert that inserts some rows and updates others fires both triggers in one statement.
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT 'T5', date '2024-01-01' + d, 10, 12, 9, 10, 100 FROM generate_series(40, 79) d
      ON CONFLICT (ticker, date) DO UPDATE SET high = EXCLUDED.high`);
    await expectCountsExact(t);
    await t.db.exec('TRUNCATE market_data');
    await expectCountsExact(t);
    expect((await t.db.query('SELECT count(*) AS n FROM market_data_day_totals WHERE rows <> 0')).rows[0]).toEqual({ n: 0 });
  });

  it('folds the counts in steps of the earliest days, each step exact on its own', async () => {
    // 3 statements × 50 days: 150 day deltas, 3 per day; then a deletion of one day's rows.
    for (const t0 of ['S1', 'S2', 'S3']) {
      await insert(t, Array.from({ length: 50 }, (_, d) => `('${t0}', date '2024-01-01' + ${d}, 10, 11, 9, 10, 100)`).join(', '));
    }
    await t.db.query(`DELETE FROM market_data WHERE date = '2024-01-01'`);
    const pending = async () => Number((await t.db.query<{ n: number }>('SELECT count(*) AS n FROM market_data_day_count_deltas')).rows[0]!.n);
    const exact = async () => (await t.db.query(`SELECT 1 FROM (SELECT date, count(*) AS n FROM market_data GROUP BY date) a
      FULL JOIN market_data_day_totals k USING (date) WHERE coalesce(a.n, 0) <> coalesce(k.rows, 0)`)).rows;
    expect(await pending()).toBe(151);
    const seen: number[] = [];
    for (let left = await pending(); left > 0; left = await pending()) {
      expect(await compactCounts(t.db, 20)).toBeGreaterThan(0);
      seen.push(left - await pending());
      expect(await exact()).toEqual([]);
    }
    // 20 rows and the rest of the 21st row's day: 7 days of 3 deltas (the first day has 4).
    expect(seen[0]).toBe(22);
    expect(seen.length).toBeGreaterThan(5);
    await expectCountsExact(t);

    await insert(t, `('S4', '2024-06-01', 10, 11, 9, 10, 100), ('S4', '2024-06-02', 10, 11, 9, 10, 100)`);
    expect(await foldCounts(t.db, 1)).toBeGreaterThanOrEqual(2); // one step per day on PGlite
    expect(await pending()).toBe(0);
    await expectCountsExact(t);
  });

  it('rolls the counts back with the rows', async () => {
    await expect(t.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume) VALUES ('A', '2024-01-01', 1, 1, 1, 1, 1)`);
      throw new Error('abort');
    })).rejects.toThrow('abort');
    await expectCountsExact(t);
    expect((await t.db.query('SELECT coalesce(sum(rows), 0)::bigint AS n FROM market_data_day_totals')).rows[0]).toEqual({ n: 0 });
  });
});
