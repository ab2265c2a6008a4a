// The benchmark dataset: the service's own schema (its migrations, triggers included) filled with
// the same deterministic rows as ../shared/peer/seed-data.sh — tickers T0001.., the last DAYS weekdays
// ending 2024-12-31, ids in (ticker, date) order, some volumes above 2^31 — so figures compare.
// Seeding the full dataset takes a while, so a database already holding it is reused.
import pg from 'pg';
import { COUNT_TABLES, migrate, openPostgres } from '../../src/db/index.ts';

export interface Dataset { tickers: number; days: number; endDate: string }

export const seedSql = (d: Dataset, table = 'market_data', prefix = 'T') => `
INSERT INTO ${table} (ticker, date, open, high, low, close, volume, created_at, updated_at)
SELECT '${prefix}' || lpad(t::text, 4, '0'), d.day, p.o,
       round(greatest(p.o, p.c) * (1.0 + 0.005 * (1.0 + sin(d.n * 0.11 + t)))::numeric, 4),
       round(least(p.o, p.c)    * (1.0 - 0.005 * (1.0 + sin(d.n * 0.13 + t)))::numeric, 4),
       p.c,
       ((t::bigint * 7919 + d.n::bigint * 104729) % 9000000 + 100000) * CASE WHEN t % 100 = 0 THEN 1000 ELSE 1 END,
       timestamptz '2025-01-01 00:00:00+00', timestamptz '2025-01-01 00:00:00+00'
FROM generate_series(1, ${d.tickers}) AS t
CROSS JOIN (
    SELECT day::date AS day, row_number() OVER (ORDER BY day) AS n
    FROM (SELECT day FROM generate_series(date '${d.endDate}' - (${d.days} * 7 / 5 + 14), date '${d.endDate}', interval '1 day') AS day
          WHERE extract(isodow FROM day) < 6 ORDER BY day DESC LIMIT ${d.days}) AS last_days
) AS d
CROSS JOIN LATERAL (
    SELECT round(c0::numeric, 4) AS c, round((c0 * (1.0 + 0.01 * sin(d.n * 0.37 + t)))::numeric, 4) AS o
    FROM (SELECT (10 + (t * 37) % 490) * (1.0 + 0.5 * sin(d.n / 200.0 + t)) + 0.25 * sin(d.n * 1.7 + t * 0.3) + 0.3 AS c0) AS x
) AS p
ORDER BY t, d.day`;

/**
 * Corporate actions for every seeded ticker, for the adjusted scenarios: two splits (2-for-1 and
 * 3-for-2, at a ticker-dependent day) and a dividend every 63rd session (~80 over 5,000 days) of
 * about 0.5% of that day's close. The seeded prices are not split: the actions only cost reads.
 */
export const ACTIONS_SQL = `
INSERT INTO splits (ticker, ex_date, factor)
SELECT ticker, date, CASE WHEN n < 2500 THEN 2 ELSE 1.5 END
FROM (SELECT ticker, date, row_number() OVER (PARTITION BY ticker ORDER BY date) AS n FROM market_data WHERE ticker LIKE 'T%') AS x
WHERE n IN (1000 + ascii(right(ticker, 1)) * 7, 3500 + ascii(right(ticker, 1)) * 7);
INSERT INTO dividends (ticker, ex_date, declaration_date, record_date, payment_date, amount)
SELECT ticker, date, date - 14, date + 1, date + 21, round(close * 0.005, 4)
FROM (SELECT ticker, date, close, row_number() OVER (PARTITION BY ticker ORDER BY date) AS n FROM market_data WHERE ticker LIKE 'T%') AS x
WHERE n % 63 = 5;`;

export async function createDatabase(url: string, fresh = false): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    if (fresh) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Every run starts from the same state: count deltas folded, no dead rows left by earlier writes. */
export async function compactAndVacuum(client: pg.Client): Promise<void> {
  await client.query('SELECT market_data_compact_counts()');
  // Weekly and monthly bars derived from the seeded days, as a running service has long since.
  await client.query('SELECT fold_derived_bars()');
  for (const table of ['market_data', ...COUNT_TABLES, 'derived_bars_pending']) await client.query(`VACUUM (ANALYZE) ${table}`);
}

/**
 * Reads the table and its indexes once, so the first scenario measures the service rather than
 * the disk (right after seeding or a reboot, random one-year ranges read cold pages and s1's p99
 * is many times its warm value). pg_prewarm ships with PostgreSQL's contrib modules; without it, a sequential scan
 * at least brings the heap into the OS cache.
 */
async function warm(client: pg.Client): Promise<void> {
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
    await client.query(`SELECT pg_prewarm(c.oid, 'read') FROM pg_class c
      WHERE c.oid = 'market_data'::regclass OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'market_data'::regclass)`);
  } catch {
    await client.query('SELECT count(*) FROM market_data WHERE volume >= 0');
  }
}

/** Creates and migrates the database, and seeds it unless it already holds exactly this dataset. */
export async function ensureSeeded(url: string, d: Dataset, log: (line: string) => void): Promise<void> {
  await createDatabase(url);
  const db = await openPostgres({ url, poolSize: 2 });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Rows the write scenarios left behind by an interrupted run.
    await client.query(`DELETE FROM market_data WHERE ticker LIKE 'ZZ%'`);
    await client.query('CREATE TABLE IF NOT EXISTS bench_seed (tickers int, days int, end_date date, seeded_at timestamptz)');
    const mark = await client.query('SELECT tickers, days, to_char(end_date, \'YYYY-MM-DD\') AS end_date FROM bench_seed');
    const count = Number((await client.query('SELECT sum(rows) AS n FROM market_data_day_totals')).rows[0].n ?? 0);
    const m = mark.rows[0];
    if (m && m.tickers === d.tickers && m.days === d.days && m.end_date === d.endDate && count === d.tickers * d.days) {
      log(`dataset present: ${count} rows`);
      await seedActions(client, d, log);
      await compactAndVacuum(client);
      await warm(client);
      return;
    }
    log(`seeding ${d.tickers} tickers × ${d.days} days (about a minute for 2.5M rows)…`);
    const started = Date.now();
    await client.query('TRUNCATE market_data RESTART IDENTITY');
    await client.query('SET maintenance_work_mem = \'512MB\'');
    await client.query(seedSql(d));
    await seedActions(client, d, log);
    await compactAndVacuum(client);
    await client.query('DELETE FROM bench_seed');
    await client.query('INSERT INTO bench_seed VALUES ($1, $2, $3, now())', [d.tickers, d.days, d.endDate]);
    await warm(client);
    log(`seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await client.end();
  }
}

/** The corporate actions of ACTIONS_SQL, unless present (a dataset seeded before they existed). */
async function seedActions(client: pg.Client, d: Dataset, log: (line: string) => void): Promise<void> {
  const splits = Number((await client.query('SELECT count(*) AS n FROM splits')).rows[0].n);
  if (splits === d.tickers * 2) return;
  log('seeding splits and dividends…');
  await client.query('TRUNCATE splits, dividends');
  await client.query(ACTIONS_SQL);
  await client.query('VACUUM (ANALYZE) splits');
  await client.query('VACUUM (ANALYZE) dividends');
}
