// Repeated SIGKILL of the service (`npm start`) at random moments of a large ETL load while API
// clients write: after every crash the database holds no partial ticker, no duplicate, every
// acknowledged write, consistent maintained counts, its migrations and no stale lock; the data
// directory's lock is taken over; finally a run completes. (test/e2e/etl-crash.test.ts kills once,
// at a fixed point; this one kills several times, wherever the dice say, with writers racing.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/db/driver/migrate.ts';
import { createServiceDatabase, DATABASE_KINDS, type ServiceDatabase } from '../helpers/databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from '../helpers/fake-alpha-vantage.ts';
import { startService, type RunningService } from '../helpers/service.ts';

const KEY = 'AVKEY-crash-chaos-0123456789';
const ROWS = 12_000; // per ticker: 24 batches on PGlite, 3 on the server
const CYCLES = 3;
const TICKERS_PER_CYCLE = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small seeded generator, so a failure can be replayed with CHAOS_SEED. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

describe.each(DATABASE_KINDS)('SIGKILL at random moments of a load on %s', (kind) => {
  let fake: FakeAlphaVantage;
  let database: ServiceDatabase;
  let env: Record<string, string>;
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);

  beforeAll(async () => {
    fake = await startFakeAlphaVantage({ key: KEY, tier: 'premium', fallback: { synthetic: ROWS, end: '2024-12-31' } });
    database = await createServiceDatabase(kind, 'md-crash-chaos-');
    env = {
      ...database.env,
      ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0',
      ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '1000', ALPHA_VANTAGE_REQUESTS_PER_DAY: '1000', LOG_LEVEL: 'debug', ETL_ENABLED: 'false', ETL_DATASETS: 'daily',
    };
  });
  afterAll(async () => {
    await fake?.close();
    await database?.drop();
  });

  it('keeps every invariant through repeated crashes, and the next run completes', async () => {
    const rand = random(seed);
    const acked = new Set<string>(); // dates of API writes answered 201
    const tally = { requests: 0, kills: 0, fiveXX: 0, killedMidTicker: 0 };
    const allTickers: string[] = [];
    let day = 0;

    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const tickers = Array.from({ length: TICKERS_PER_CYCLE }, (_, i) => `K${cycle}X${i}`);
      allTickers.push(...tickers);
      const service: RunningService = await startService(env);
      // API clients writing one row at a time while the ETL loads.
      let writing = true;
      const writer = (async () => {
        while (writing) {
          const date = new Date(Date.UTC(2000, 0, 1) + day++ * 86_400_000).toISOString().slice(0, 10);
          tally.requests++;
          try {
            const res = await fetch(`${service.url}/api/v1/market-data`, {
              method: 'POST', headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ ticker: 'APIW', date, open: 10, high: 12, low: 9, close: 11, volume: day }),
            });
            if (res.status === 201) acked.add(date);
            else if (res.status >= 500) tally.fiveXX++;
            await res.arrayBuffer();
          } catch {
            break; // the process is gone
          }
        }
      })();
      tally.requests++;
      const run = fetch(`${service.url}/api/v1/etl/run?tickers=${tickers.join(',')}`, { method: 'POST' }).catch(() => undefined);

      // Kill after a random number of batches (never the last): always inside some ticker's transaction.
      const batches = ROWS / (kind === 'pglite' ? 500 : 5000) * TICKERS_PER_CYCLE;
      const killAfter = 1 + Math.floor(rand() * (batches - 1));
      const deadline = Date.now() + 60_000;
      const batchLines = () => service.output().split('\n').filter((l) => l.includes('"msg":"batch loaded"'));
      while (batchLines().length < killAfter && service.proc.exitCode === null && Date.now() < deadline) await sleep(2);
      await service.stop('SIGKILL');
      tally.kills++;
      writing = false;
      await Promise.all([writer, run]);
      const last = JSON.parse(batchLines().at(-1)!) as { done: number; of: number };
      if (last.done < last.of) tally.killedMidTicker++;

      // The dead process's database, as the next process finds it.
      const db = await database.open(); // PGlite: takes over the dead owner's directory lock
      try {
        const { rows: per } = await db.query<{ ticker: string; n: number }>('SELECT ticker, count(*)::int AS n FROM market_data GROUP BY ticker');
        for (const { ticker, n } of per) if (ticker !== 'APIW') expect(n, `${ticker} after kill ${cycle} (seed ${seed})`).toBe(ROWS);
        const { rows: api } = await db.query<{ date: string }>(`SELECT date FROM market_data WHERE ticker = 'APIW'`);
        const stored = new Set(api.map((r) => r.date));
        expect([...acked].filter((d) => !stored.has(d)), 'acknowledged writes lost').toEqual([]);
        const { rows: [check] } = await db.query<{ n: number; distinct_n: number; day_total: number; stats_total: number; stats_off: number }>(
          `SELECT (SELECT count(*)::int FROM market_data) AS n,
                  (SELECT count(DISTINCT (ticker, date))::int FROM market_data) AS distinct_n,
                  (SELECT coalesce(sum(rows), 0)::int FROM market_data_day_totals) AS day_total,
                  (SELECT coalesce(sum(rows), 0)::int FROM market_data_ticker_totals) AS stats_total,
                  (SELECT count(*)::int FROM market_data_ticker_totals s
                    WHERE s.rows <> (SELECT count(*) FROM market_data m WHERE m.ticker = s.ticker)) AS stats_off`);
        expect(check).toEqual({ n: check!.n, distinct_n: check!.n, day_total: check!.n, stats_total: check!.n, stats_off: 0 });
        const { rows: [migrations] } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
        expect(migrations!.n).toBe(readMigrations().length);
        // The killed session's advisory locks (the run lock) died with its connection.
        let locks = 1;
        for (const until = Date.now() + 5000; locks > 0 && Date.now() < until; await sleep(50)) {
          locks = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`)).rows[0]!.n;
        }
        expect(locks).toBe(0);
      } finally {
        await db.close();
      }
    }

    // A last start: the interrupted runs are closed as aborted and a run loads what is missing.
    const service = await startService(env);
    try {
      tally.requests++;
      const res = await fetch(`${service.url}/api/v1/etl/run?tickers=${allTickers.join(',')}`, { method: 'POST' });
      expect(res.status).toBe(200);
      const run = await res.json() as { status: string; failed: number; details: { ticker: string; status: string }[] };
      expect(run).toMatchObject({ status: 'completed', failed: 0 });
      tally.requests++;
      const history = await (await fetch(`${service.url}/api/v1/etl/runs?size=20`)).json() as { items: { status: string }[] };
      expect(history.items.map((r) => r.status)).toEqual(['completed', ...Array(CYCLES).fill('aborted')]);
    } finally {
      expect(await service.stop('SIGTERM')).toBe(0);
    }
    const db = await database.open();
    try {
      const { rows } = await db.query<{ ticker: string; n: number }>(`SELECT ticker, count(*)::int AS n FROM market_data WHERE ticker <> 'APIW' GROUP BY ticker ORDER BY ticker`);
      expect(rows).toEqual(allTickers.sort().map((ticker) => ({ ticker, n: ROWS })));
    } finally {
      await db.close();
    }
    expect(tally.fiveXX).toBe(0);
    console.info(`[crash mid-load] ${kind}, seed ${seed}: ${tally.requests} requests, ${tally.kills} SIGKILLs (${tally.killedMidTicker} inside a ticker's transaction), ` +
      `5xx ${tally.fiveXX}, ${acked.size} acknowledged writes, rows lost 0`);
  });
});
