// Two replicas (two apps, two connection pools) on one PostgreSQL database writing the same
// (ticker, date) at once, through POST, PUT and the ETL: no error leaks as a 500, the unique rule
// holds, and every final row is exactly one of the versions that were written.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.ts';
import type { Database } from '../../../src/db/driver/database.ts';
import { migrate } from '../../../src/db/driver/migrate.ts';
import { openPostgres } from '../../../src/db/driver/postgres.ts';
import { upsertBars } from '../../../src/db/repositories/market-data.ts';
import { createEtl } from '../../../src/etl/index.ts';
import { loadBars } from '../../../src/etl/load.ts';
import type { Bar } from '../../../src/model/bar.ts';
import { syntheticBars } from '../../fixtures/alpha-vantage.ts';
import { captureLogger, testConfig } from '../../helpers/app.ts';
import { createServerDatabase, SERVER_URL } from '../../helpers/databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from '../../helpers/fake-alpha-vantage.ts';

type App = Awaited<ReturnType<typeof buildApp>>;
const KEY = 'AVKEY-second-writer-0123456789';
const NOW = new Date('2025-01-02T12:00:00Z');
/** More rows than one upsert batch on a server (5,000): the ETL holds its ticker across statements. */
const ETL_BARS = 12_000;

interface Version { open: number; high: number; low: number; close: number; volume: number }
const version = (n: number): Version => ({ open: 100 + n, high: 200 + n, low: 50 + n, close: 150 + n, volume: 1000 + n });

describe.runIf(SERVER_URL)('a second writer on the same PostgreSQL database', () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let fake: FakeAlphaVantage;
  const dbs: Database[] = [];
  const apps: App[] = [];
  const tally = { requests: 0, byStatus: {} as Record<number, number> };

  beforeAll(async () => {
    server = await createServerDatabase();
    fake = await startFakeAlphaVantage({ key: KEY, tier: 'premium', symbols: { ETLX: { synthetic: ETL_BARS, end: '2024-12-31' } } });
    for (let i = 0; i < 2; i++) {
      const db = await openPostgres({ url: server.url, poolSize: 8, applicationName: `replica-${i}` });
      await migrate(db); // both replicas migrate, as both would at start
      const config = testConfig({
        ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0',
        ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '10000', ALPHA_VANTAGE_REQUESTS_PER_DAY: '10000', ETL_DATASETS: 'daily',
      });
      const { logger } = captureLogger(config);
      const etl = createEtl(config, db, logger, { now: () => NOW });
      dbs.push(db);
      apps.push(await buildApp({ config, db, logger, etl }));
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const db of dbs) await db.close();
    // Backends report their statistics as they exit: the deadlocks PostgreSQL broke (by rolling
    // back one side, which was then retried) are counted once the pools are closed.
    if (server) {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await new Promise((r) => setTimeout(r, 300));
      const { rows } = await client.query<{ deadlocks: number }>('SELECT deadlocks::int FROM pg_stat_database WHERE datname = current_database()');
      await client.end();
      console.info(`[second writer] ${tally.requests} requests, statuses ${JSON.stringify(tally.byStatus)}, deadlocks broken and retried: ${rows[0]!.deadlocks}`);
    }
    await fake?.close();
    await server?.drop();
  });

  async function send(app: App, method: 'POST' | 'PUT' | 'GET' | 'DELETE', url: string, payload?: object) {
    tally.requests++;
    const res = await app.inject({ method, url, payload });
    tally.byStatus[res.statusCode] = (tally.byStatus[res.statusCode] ?? 0) + 1;
    expect(res.statusCode, `${method} ${url} → ${res.body}`).toBeLessThan(500);
    return res;
  }

  const row = async (ticker: string, date: string) =>
    (await dbs[0]!.query<Version & { id: number }>(
      'SELECT id, open::float8 AS open, high::float8 AS high, low::float8 AS low, close::float8 AS close, volume FROM market_data WHERE ticker = $1 AND date = $2',
      [ticker, date])).rows;

  it('lets exactly one of several concurrent creates of a (ticker, date) win; the others get 409', async () => {
    for (let day = 1; day <= 20; day++) {
      const date = `2024-03-${String(day).padStart(2, '0')}`;
      const results = await Promise.all([0, 1, 2, 3, 4, 5].map((n) =>
        send(apps[n % 2]!, 'POST', '/api/v1/market-data', { ticker: 'RACE', date, ...version(n) }).then((res) => ({ n, res }))));
      const won = results.filter((r) => r.res.statusCode === 201);
      expect(won, date).toHaveLength(1);
      expect(results.filter((r) => r.res.statusCode === 409)).toHaveLength(5);
      for (const r of results.filter((x) => x.res.statusCode === 409)) expect(r.res.headers['content-type']).toMatch(/problem\+json/);
      expect(await row('RACE', date)).toEqual([{ id: won[0]!.res.json().id, ...version(won[0]!.n) }]);
    }
  });

  it('keeps one of the versions when both replicas update the same row at once', async () => {
    const created = await send(apps[0]!, 'POST', '/api/v1/market-data', { ticker: 'RACE', date: '2024-04-01', ...version(0) });
    const id = created.json().id as number;
    for (let round = 1; round <= 15; round++) {
      const versions = [0, 1, 2, 3].map((n) => version(round * 10 + n));
      const results = await Promise.all(versions.map((v, n) => send(apps[n % 2]!, 'PUT', `/api/v1/market-data/${id}`, v)));
      expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
      const [stored] = await row('RACE', '2024-04-01');
      expect(versions).toContainEqual({ open: stored!.open, high: stored!.high, low: stored!.low, close: stored!.close, volume: stored!.volume });
    }
  });

  it('lets an API write of a ticker\'s row through while a multi-batch load of that ticker holds its earlier batches', async () => {
    // (This deadlocked while per-ticker counts were one row per ticker, locked by every writer.)
    const bars: Bar[] = syntheticBars('DEAD', 300, '2024-12-31').map((b) => ({ ...b, ticker: 'DEAD', volume: Number(b.volume) }));
    const late = bars[250]!;
    const created = await send(apps[0]!, 'POST', '/api/v1/market-data', { ...late, ...version(1) });
    const id = created.json().id as number;
    const loading = dbs[0]!.transaction(async (tx) => {
      await upsertBars(tx, bars.slice(0, 100));
      await new Promise((r) => setTimeout(r, 300)); // meanwhile the PUT locks `late`
      await upsertBars(tx, bars.slice(100)); // waits for `late`
    });
    await new Promise((r) => setTimeout(r, 100));
    const put = await send(apps[1]!, 'PUT', `/api/v1/market-data/${id}`, version(2));
    await loading;
    expect(put.statusCode).toBe(200);
    const [stored] = await row('DEAD', late.date);
    expect(stored).toMatchObject({ open: Number(late.open), volume: Number(late.volume) }); // the load came last
  });

  it('reruns whatever PostgreSQL rolls back to break a deadlock: a ticker load, or a statement on its own', async () => {
    const bars: Bar[] = syntheticBars('LOCK', 300, '2024-12-31').map((b) => ({ ...b, ticker: 'LOCK', volume: Number(b.volume) }));
    await loadBars(dbs[0]!, bars);
    const { rows: ids } = await dbs[0]!.query<{ id: number; date: string }>(`SELECT id, date FROM market_data WHERE ticker = 'LOCK' ORDER BY date`);
    const early = ids[10]!.id;
    const late = ids[250]!.id;
    const other = new pg.Client({ connectionString: server.url }); // another writer: psql, a script, an import
    await other.connect();
    try {
      // 1. The load waits first for a row the other writer holds, which then waits for a row the
      //    load holds: the load is rolled back and loadBars runs it again, whole.
      await other.query('BEGIN');
      await other.query('UPDATE market_data SET volume = volume + 1 WHERE id = $1', [late]);
      const load = loadBars(dbs[0]!, bars.map((b) => ({ ...b, volume: b.volume + 7 })), { batchSize: 100 });
      await new Promise((r) => setTimeout(r, 300)); // batch 1 holds `early`; batch 3 waits for `late`
      await other.query('UPDATE market_data SET volume = volume + 1 WHERE id = $1', [early]); // a deadlock
      await other.query('COMMIT');
      expect(await load).toEqual({ inserted: 0, updated: 300, unchanged: 0 });

      // 2. A statement on its own locks `early`, then waits for `late`; the other writer then waits
      //    for `early`: the statement is rolled back and run again.
      await other.query('BEGIN');
      await other.query('UPDATE market_data SET volume = volume + 1 WHERE id = $1', [late]);
      // (The CTE runs first, as an init plan of the outer UPDATE: `early` is locked before `late`.)
      const statement = dbs[1]!.query(
        `WITH first AS (UPDATE market_data SET volume = volume + 100 WHERE id = $1 RETURNING id)
         UPDATE market_data SET volume = volume + 100 WHERE id = $2 AND EXISTS (SELECT 1 FROM first)`, [early, late]);
      await new Promise((r) => setTimeout(r, 300));
      await other.query('UPDATE market_data SET volume = volume + 1 WHERE id = $1', [early]); // a deadlock
      await other.query('COMMIT');
      expect((await statement).rowCount).toBe(1);
    } finally {
      await other.end();
    }
    const { rows } = await dbs[0]!.query<{ id: number; volume: number }>('SELECT id, volume FROM market_data WHERE id = ANY($1::bigint[]) ORDER BY date', [[early, late]]);
    // The rerun load's values (written after the other writer's first increments), then the other
    // writer's second increment and the statement's.
    expect(rows.map((r) => r.volume)).toEqual([bars[10]!.volume + 7 + 1 + 100, bars[250]!.volume + 7 + 1 + 100]);
  });

  it('lets the ETL of one replica and the API of the other write the same ticker at once', async () => {
    const bars = syntheticBars('ETLX', ETL_BARS, '2024-12-31');
    // Dates the ETL loads in its first, middle and last batches.
    const positions = [10, 4_000, 6_000, 9_000, 11_000, 11_999];
    const contested = positions.map((i) => bars[i]!.date);
    const written = new Map<string, Version[]>();
    // Both replicas ask for a run at once: one runs it, the other is told a run is in progress.
    // (force: full history, whatever the API has stored meanwhile.)
    const runs = Promise.all([
      send(apps[0]!, 'POST', '/api/v1/etl/run?tickers=ETLX&force=true'),
      new Promise((r) => setTimeout(r, 20)).then(() => send(apps[1]!, 'POST', '/api/v1/etl/run?tickers=ETLX&force=true')),
    ]);
    let running = true;
    void runs.finally(() => { running = false; });
    const writes = (async () => {
      // Until the run has ended (and at least 12 rounds): its later batches meet these rows locked.
      for (let round = 0; running || round < 12; round++) {
        await Promise.all(contested.map(async (date, i) => {
          const v = version(round * 100 + i);
          const app = apps[(round + i) % 2]!;
          const res = await send(app, 'POST', '/api/v1/market-data', { ticker: 'ETLX', date, ...v });
          if (res.statusCode === 201) written.set(date, [...(written.get(date) ?? []), v]);
          else {
            expect(res.statusCode).toBe(409);
            const [current] = await row('ETLX', date);
            const put = await send(app, 'PUT', `/api/v1/market-data/${current!.id}`, v);
            expect(put.statusCode).toBe(200);
            written.set(date, [...(written.get(date) ?? []), v]);
          }
        }));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const [[a, b]] = await Promise.all([runs, writes]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const run = (a.statusCode === 200 ? a : b).json() as { status: string; details: { status: string; reason: string | null }[] };
    expect(run.details[0], JSON.stringify(run.details[0])).toMatchObject({ status: 'success' });

    // The unique rule held, nothing was lost, and each contested row is a version someone wrote.
    const { rows: dupes } = await dbs[1]!.query('SELECT ticker, date FROM market_data GROUP BY ticker, date HAVING count(*) > 1');
    expect(dupes).toEqual([]);
    const { rows: count } = await dbs[1]!.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_data WHERE ticker = 'ETLX'`);
    expect(count[0]!.n).toBe(ETL_BARS);
    for (const [i, date] of contested.entries()) {
      const bar = bars[positions[i]!]!;
      const fromEtl = { open: Number(bar.open), high: Number(bar.high), low: Number(bar.low), close: Number(bar.close), volume: Number(bar.volume) };
      const [stored] = await row('ETLX', date);
      expect([fromEtl, ...(written.get(date) ?? [])]).toContainEqual({ open: stored!.open, high: stored!.high, low: stored!.low, close: stored!.close, volume: stored!.volume });
    }
    // The trigger-kept counts agree with the table.
    const { rows: counts } = await dbs[0]!.query<{ ok: boolean }>(
      `SELECT (SELECT coalesce(sum(rows), 0) FROM market_data_day_totals) = (SELECT count(*) FROM market_data) AS ok`);
    expect(counts[0]!.ok).toBe(true);
  });
});
