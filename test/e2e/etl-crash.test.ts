// The service killed with SIGKILL in the middle of loading a ticker: after a restart no partial
// ticker, no duplicate, migrations and locks clean, and the next run completes.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../src/db/driver/migrate.ts';
import { syntheticBars } from '../fixtures/alpha-vantage.ts';
import { createServiceDatabase, DATABASE_KINDS, type ServiceDatabase } from '../helpers/databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from '../helpers/fake-alpha-vantage.ts';
import { startService } from '../helpers/service.ts';

const KEY = 'AVKEY-crash-test-777777';
const TICKERS = ['BIGA', 'BIGB', 'BIGC'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Two services and two openings of the database: a fresh embedded one takes ~15 s to create on a busy host.
describe.each(DATABASE_KINDS)('SIGKILL during an ETL load on %s', { timeout: 180_000 }, (kind) => {
  // Per ticker: several batches on either database. The server writes a 5,000-row batch in tens of
  // milliseconds, so it gets ten: with four, a busy CI machine noticed the first batch's log line
  // only after the ticker had committed (the kill came too late to test anything).
  const ROWS = kind === 'pglite' ? 20_000 : 50_000;
  let fake: FakeAlphaVantage;
  let database: ServiceDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await startFakeAlphaVantage({ key: KEY, tier: 'premium', symbols: Object.fromEntries(TICKERS.map((s) => [s, { synthetic: ROWS }])) });
    database = await createServiceDatabase(kind, 'md-crash-');
    env = {
      ...database.env,
      ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0',
      DEFAULT_TICKERS: TICKERS.join(','), ETL_DATASETS: 'daily', LOG_LEVEL: 'debug',
      ALPHA_VANTAGE_MAX_BODY_BYTES: String(32 * 1024 * 1024), // 50,000 days (no real history is so long) are ~10 MB
    };
  });
  afterAll(async () => {
    await fake?.close();
    await database?.drop();
  });

  it('leaves no partial ticker, and the next run completes', async () => {
    // On a server a ticker's batches all commit within a second or so, and a kill timed by the log
    // line could land after the COMMIT on a busy host. So the test holds a row of BIGB's second
    // batch in an open transaction: the load waits for it right after its first batch, and the
    // kill lands inside its transaction. Rolled back after the kill, it leaves nothing.
    let holder: pg.Client | undefined;
    if (kind === 'postgres') {
      const setup = await database.open();
      await migrate(setup);
      await setup.close();
      holder = new pg.Client({ connectionString: database.url });
      await holder.connect();
      const dates = syntheticBars('BIGB', ROWS).map((b) => b.date).sort();
      await holder.query('BEGIN');
      await holder.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume) VALUES ('BIGB', $1, 1, 1, 1, 1, 1)`, [dates[7500]]);
    }
    // The scheduler starts a run at once; kill the process as soon as the second ticker's first
    // batch is written (inside its transaction, with more batches to go).
    const first = await startService({ ...env, ETL_ENABLED: 'true', ETL_INTERVAL_MINUTES: '60' }, { waitHealthy: false });
    const midTicker = /"ticker":"BIGB".*"msg":"batch loaded"/;
    const deadline = Date.now() + 60_000;
    while (!midTicker.test(first.output()) && first.proc.exitCode === null && Date.now() < deadline) await sleep(5);
    expect(first.output()).toMatch(midTicker);
    await first.stop('SIGKILL');
    if (holder) {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(first.output()).not.toMatch(/"ticker":"BIGB".*"msg":"ticker success"/);

    const db = await database.open();
    let bigaStored = false;
    try {
      const counts = await db.query<{ ticker: string; n: number }>('SELECT ticker, count(*) AS n FROM market_data GROUP BY ticker ORDER BY ticker');
      // Every ticker whole or absent; BIGB, killed mid-load, absent. On a server BIGA loads
      // alongside BIGB (two loads at once), so it may not have committed yet.
      expect(counts.rows.every((r) => r.n === ROWS), JSON.stringify(counts.rows)).toBe(true);
      expect(counts.rows.map((r) => r.ticker)).not.toContain('BIGB');
      bigaStored = counts.rows.some((r) => r.ticker === 'BIGA');
      if (kind === 'pglite') expect(bigaStored).toBe(true);
      const runs = await db.query<{ status: string }>('SELECT status FROM etl_runs');
      expect(runs.rows).toEqual([{ status: 'running' }]); // as the kill left it
    } finally {
      await db.close();
    }

    // Restarted (on PGlite the dead owner's directory lock is taken over), a run completes.
    const second = await startService({ ...env, ETL_ENABLED: 'false' });
    try {
      const res = await fetch(`${second.url}/api/v1/etl/run`, { method: 'POST' });
      expect(res.status).toBe(200);
      const run = await res.json() as { status: string; successful: number; details: { ticker: string; status: string; inserted: number; unchanged: number }[] };
      expect(run.status).toBe('completed');
      expect(run.details.map((d) => [d.ticker, d.status])).toEqual([['BIGA', bigaStored ? 'no_new_data' : 'success'], ['BIGB', 'success'], ['BIGC', 'success']]);
      expect(run.details[1]).toMatchObject({ inserted: ROWS });
      const history = await (await fetch(`${second.url}/api/v1/etl/runs`)).json() as { items: { status: string; error: string | null }[] };
      expect(history.items.map((r) => r.status)).toEqual(['completed', 'aborted']);
      expect(history.items[1]!.error).toMatch(/interrupted/);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    // Both processes logged at debug level through a whole run: the key is in none of it.
    expect(first.output().length + second.output().length).toBeGreaterThan(1000);
    expect(`${first.output()}${second.output()}`).not.toContain(KEY);

    const after = await database.open();
    try {
      const { rows } = await after.query<{ n: number; distinct_n: number; tickers: number }>(
        'SELECT count(*) AS n, count(DISTINCT (ticker, date)) AS distinct_n, count(DISTINCT ticker) AS tickers FROM market_data');
      expect(rows[0]).toEqual({ n: ROWS * 3, distinct_n: ROWS * 3, tickers: 3 });
      const total = await after.query<{ total: number }>('SELECT sum(rows)::bigint AS total FROM market_data_day_totals');
      expect(total.rows[0]!.total).toBe(ROWS * 3); // the maintained counts agree
      const migrations = await after.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
      expect(migrations.rows[0]!.n).toBe(readMigrations().length);
      const locks = await after.query<{ n: number }>(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'`);
      expect(locks.rows[0]!.n).toBe(0);
    } finally {
      await after.close();
    }
    if (kind === 'pglite') expect(fs.existsSync(path.join(database.dir, 'service.lock'))).toBe(false);
  });
});
