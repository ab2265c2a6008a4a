// SIGTERM under HTTP load while the scheduler's ETL run is going: in-flight requests finish, the
// scheduler stops (its run is recorded as aborted, no ticker half-loaded), the database is
// closed, the process exits 0 within 10 s, and no request is answered with a reset connection.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceDatabase, DATABASE_KINDS, type ServiceDatabase } from '../helpers/databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from '../helpers/fake-alpha-vantage.ts';
import { startService } from '../helpers/service.ts';

const KEY = 'AVKEY-shutdown-0123456789';
const TICKERS = ['GA', 'GB', 'GC', 'GD', 'GE', 'GF', 'GG', 'GH'];
const BARS = 3000;
const CLIENTS = 16;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome { sentBeforeTerm: boolean; path: string; status?: number; error?: string }

describe.each(DATABASE_KINDS)('SIGTERM under load on %s', (kind) => {
  let fake: FakeAlphaVantage;
  let database: ServiceDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await startFakeAlphaVantage({ key: KEY, tier: 'premium', fallback: { delayMs: 300, then: { synthetic: BARS, end: '2024-12-31' } } });
    database = await createServiceDatabase(kind, 'md-shutdown-');
    env = {
      ...database.env,
      ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0',
      ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '1000', ALPHA_VANTAGE_REQUESTS_PER_DAY: '1000',
      ETL_ENABLED: 'true', ETL_INTERVAL_MINUTES: '60', DEFAULT_TICKERS: TICKERS.join(','), ETL_DATASETS: 'daily', LOG_LEVEL: 'info',
    };
  });
  afterAll(async () => {
    await fake?.close();
    await database?.drop();
  });

  it('finishes in-flight requests, stops the scheduler, closes the database and exits 0 within 10 s', async () => {
    const service = await startService(env);
    // Rows to read while the scheduled run (started at boot) loads more.
    for (let i = 1; i <= 50; i++) {
      await fetch(`${service.url}/api/v1/market-data`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ticker: 'LOAD', date: `2023-01-${String((i % 28) + 1).padStart(2, '0')}`, open: 10, high: 12, low: 9, close: 11, volume: i }),
      }).then((r) => r.arrayBuffer());
    }
    while (!service.output().includes('"msg":"ticker success"')) await sleep(20); // the run is under way

    let terminated = false;
    let exited = false;
    const outcomes: Outcome[] = [];
    const PATHS = ['/api/v1/market-data?size=1000', '/api/v1/market-data?ticker=LOAD', '/api/v1/tickers', '/api/v1/health', '/api/v1/etl/status'];
    // One keep-alive connection per client, as a browser or a proxy's upstream pool keeps them.
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    let connections = 0;
    const createConnection = (agent as unknown as { createConnection: (...a: unknown[]) => unknown }).createConnection;
    (agent as unknown as { createConnection: (...a: unknown[]) => unknown }).createConnection = (...a: unknown[]) => {
      connections++;
      return createConnection.apply(agent, a);
    };
    const get = (p: string) => new Promise<number>((resolve, reject) => {
      const req = http.get(`${service.url}${p}`, { agent, timeout: 15_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    const client = async (n: number) => {
      for (let i = n; !exited; i++) {
        const o: Outcome = { sentBeforeTerm: !terminated, path: PATHS[i % PATHS.length]! };
        outcomes.push(o);
        try {
          o.status = await get(PATHS[i % PATHS.length]!);
        } catch (err) {
          o.error = (err as NodeJS.ErrnoException).code ?? String(err);
          if (o.error === 'ECONNREFUSED') return; // the listener is closed: a client would go elsewhere
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
    await sleep(1500);

    const connectionsBeforeTerm = connections;
    terminated = true;
    const termAt = Date.now();
    const code = await service.stop('SIGTERM');
    const tookMs = Date.now() - termAt;
    exited = true;
    await Promise.all(clients);

    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(10_000);
    const log = service.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string });
    const msgs = log.map((l) => l.msg);
    expect(msgs).toContain('shutting down');
    expect(msgs.at(-1)).toBe('stopped');
    expect(connectionsBeforeTerm).toBe(CLIENTS); // each client kept its one connection until then

    // Every request sent before SIGTERM was answered; none at all met a reset connection.
    const before = outcomes.filter((o) => o.sentBeforeTerm);
    const after = outcomes.filter((o) => !o.sentBeforeTerm);
    expect(before.filter((o) => o.error)).toEqual([]);
    expect(before.every((o) => o.status === 200)).toBe(true);
    const resets = outcomes.filter((o) => o.error && o.error !== 'ECONNREFUSED');
    expect(resets).toEqual([]);
    for (const o of after) if (o.status !== undefined) expect([200, 503]).toContain(o.status);

    // The scheduler's run was stopped cleanly: recorded as aborted, no ticker half-loaded.
    const db = await database.open();
    try {
      const { rows: runs } = await db.query<{ trigger: string; status: string; error: string | null }>('SELECT trigger, status, error FROM etl_runs');
      expect(runs).toEqual([{ trigger: 'schedule', status: 'aborted', error: expect.stringContaining('shutting down') }]);
      const { rows: per } = await db.query<{ ticker: string; n: number }>(`SELECT ticker, count(*)::int AS n FROM market_data WHERE ticker <> 'LOAD' GROUP BY ticker`);
      expect(per.length).toBeGreaterThan(0);
      expect(per.length).toBeLessThan(TICKERS.length);
      for (const { n } of per) expect(n).toBe(BARS);
    } finally {
      await db.close();
    }
    // The database was closed: no session of the service is left on the server; on PGlite the
    // directory lock was released (a crash leaves it behind).
    if (kind === 'postgres') {
      const c = new pg.Client({ connectionString: database.url });
      await c.connect();
      const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'market-data'`);
      await c.end();
      expect(rows[0]!.n).toBe(0);
    } else {
      expect(fs.existsSync(path.join(database.dir, 'service.lock'))).toBe(false);
    }

    const refused = outcomes.filter((o) => o.error === 'ECONNREFUSED').length;
    const by = (s: number) => outcomes.filter((o) => o.status === s).length;
    console.info(`[graceful shutdown] ${kind}: ${outcomes.length} requests over ${CLIENTS} keep-alive clients (${before.length} before SIGTERM, all answered), ` +
      `after SIGTERM: ${after.length - refused} answered (${by(503)} with 503), ${refused} refused at connect; resets ${resets.length}; exit 0 in ${tookMs} ms`);
    expect(by(200) + by(503) + refused).toBe(outcomes.length);
  });
});
