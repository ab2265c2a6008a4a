// A database outage under load: the service (`npm start`, a child process) on a private
// PostgreSQL server serves reads while an ETL run loads tickers; the server is stopped mid-run.
// Reads answer 503 problem+json promptly, health 503; the run's failure is recorded once the
// server is back; nothing is half-written; everything recovers without restarting the service.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_URL } from '../helpers/databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from '../helpers/fake-alpha-vantage.ts';
import { createPrivatePostgres, PRIVATE_POSTGRES_AVAILABLE, type PrivatePostgres } from '../helpers/private-postgres.ts';
import { health, startService, type RunningService } from '../helpers/service.ts';

const KEY = 'AVKEY-outage-0123456789';
const TICKERS = ['OA', 'OB', 'OC', 'OD', 'OE', 'OF', 'OG', 'OH'];
const BARS = 4000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Phase = 'before' | 'stopping' | 'down' | 'recovering' | 'after';
interface Sample { phase: Phase; path: string; status: number; ms: number; type: string; error?: string }

describe.runIf(SERVER_URL && PRIVATE_POSTGRES_AVAILABLE)('a database outage during reads and an ETL run', () => {
  let server: PrivatePostgres;
  let fake: FakeAlphaVantage;
  let service: RunningService;

  beforeAll(async () => {
    server = await createPrivatePostgres();
    // Slow enough that the run is still going when the server stops.
    fake = await startFakeAlphaVantage({ key: KEY, tier: 'premium', fallback: { delayMs: 500, then: { synthetic: BARS, end: '2024-12-31' } } });
    service = await startService({
      DATABASE_URL: server.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0',
      ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '1000', ALPHA_VANTAGE_REQUESTS_PER_DAY: '1000', LOG_LEVEL: 'info', ETL_DATASETS: 'daily',
    });
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await fake?.close();
    server?.destroy();
  });

  const client = async () => {
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    return c;
  };
  const counts = async () => {
    const c = await client();
    try {
      const { rows } = await c.query<{ ticker: string; n: number }>(`SELECT ticker, count(*)::int AS n FROM market_data GROUP BY ticker`);
      return new Map(rows.map((r) => [r.ticker, r.n]));
    } finally {
      await c.end();
    }
  };

  it('answers 503 promptly while the server is down and recovers without a restart, losing nothing', async () => {
    const pid = service.proc.pid;
    for (let i = 1; i <= 20; i++) {
      const res = await fetch(`${service.url}/api/v1/market-data`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ticker: 'KEEP', date: `2024-02-${String(i).padStart(2, '0')}`, open: 10, high: 12, low: 9, close: 11, volume: 100 + i }),
      });
      expect(res.status).toBe(201);
    }

    let phase: Phase = 'before';
    let reading = true;
    const samples: Sample[] = [];
    const PATHS = ['/api/v1/market-data?size=100', '/api/v1/health', '/api/v1/tickers', '/api/v1/market-data/1', '/api/v1/tickers/KEEP', '/api/v1/etl/runs'];
    const reader = async (n: number) => {
      for (let i = n; reading; i++) {
        const p = PATHS[i % PATHS.length]!;
        const started = performance.now();
        const begun = phase;
        // A read that began before the stop but was answered after it belongs to the stop: its
        // query may have been cut by the shutdown, so it may rightly answer 503.
        const at = () => (begun === 'before' && phase !== 'before' ? 'stopping' : begun);
        try {
          const res = await fetch(`${service.url}${p}`, { signal: AbortSignal.timeout(10_000) });
          const text = await res.text();
          samples.push({ phase: at(), path: p, status: res.status, ms: performance.now() - started, type: res.headers.get('content-type') ?? '', error: res.status >= 500 ? text : undefined });
        } catch (err) {
          samples.push({ phase: at(), path: p, status: 0, ms: performance.now() - started, type: '', error: String((err as Error).cause ?? err) });
        }
        await sleep(20);
      }
    };
    const readers = [0, 1, 2, 3].map(reader);

    const run = fetch(`${service.url}/api/v1/etl/run?tickers=${TICKERS.join(',')}`, { method: 'POST', signal: AbortSignal.timeout(60_000) })
      .then(async (res) => ({ status: res.status, type: res.headers.get('content-type'), body: await res.json() as Record<string, unknown> }));

    // Stop the server once two tickers are in, by signalling its postmaster (pg_ctl would block
    // this process's event loop, and with it the readers' clocks).
    const c = await client();
    const dataDir = (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
    for (let loaded = 0; loaded < 2;) {
      await sleep(100);
      loaded = (await c.query<{ n: number }>(`SELECT count(DISTINCT ticker)::int AS n FROM market_data WHERE ticker LIKE 'O_'`)).rows[0]!.n;
    }
    await c.end().catch(() => {});
    const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    phase = 'stopping';
    const stoppedAt = Date.now();
    process.kill(postmaster, 'SIGINT'); // "fast" shutdown: sessions are terminated, in-flight work rolled back
    const alive = () => { try { process.kill(postmaster, 0); return true; } catch { return false; } };
    while (alive()) await sleep(10);
    phase = 'down';
    const etl = await run; // the run ends while the server is down
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    await sleep(Math.max(0, 4000 - (Date.now() - stoppedAt))); // read against a dead server for 4 s

    phase = 'recovering';
    server.start();
    const restartedAt = Date.now();
    while ((await health(service.url, 3000)) !== 200) {
      expect(Date.now() - restartedAt).toBeLessThan(20_000);
      await sleep(100);
    }
    const recoveredMs = Date.now() - restartedAt;
    phase = 'after';
    await sleep(1000);
    reading = false;
    await Promise.all(readers);

    // While down: every read answered 503 (problem+json; health its own JSON) within 3 s.
    const down = samples.filter((s) => s.phase === 'down');
    expect(down.length).toBeGreaterThan(20);
    for (const s of down) {
      expect(s.status, `${s.path} ${s.error ?? ''}`).toBe(503);
      expect(s.ms, s.path).toBeLessThan(3000);
      expect(s.type, s.path).toMatch(s.path === '/api/v1/health' ? /^application\/json/ : /^application\/problem\+json/);
    }
    // While it was shutting down: answered either way, just as promptly.
    for (const s of samples.filter((x) => x.phase === 'stopping')) {
      expect([200, 503], `${s.path} ${s.error ?? ''}`).toContain(s.status);
      expect(s.ms, s.path).toBeLessThan(3000);
    }
    // Before and after: all good. No other 5xx anywhere, no connection error.
    for (const s of samples.filter((x) => x.phase === 'before' || x.phase === 'after')) expect(s.status, `${s.phase} ${s.path} ${s.error ?? ''}`).toBe(200);
    expect(samples.filter((s) => s.status === 0 || (s.status >= 500 && s.status !== 503))).toEqual([]);
    // The synchronous trigger was told the database went away.
    expect(etl.status).toBe(503);
    expect(etl.type).toMatch(/^application\/problem\+json/);

    // Once the server is back, the interrupted run is recorded as failed, with the reason.
    let runs: { run_id: number; status: string; error: string | null }[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(250)) {
      runs = ((await (await fetch(`${service.url}/api/v1/etl/runs`)).json()) as { items: typeof runs }).items;
      if (runs[0]?.status === 'failed') break;
    }
    expect(runs[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^database error: /) });

    // No ticker half-written: each has all its rows or none; the seeded rows are all there.
    const afterOutage = await counts();
    expect(afterOutage.get('KEEP')).toBe(20);
    const loaded = TICKERS.filter((t) => afterOutage.get(t) === BARS);
    expect(loaded.length).toBeGreaterThanOrEqual(2);
    for (const t of TICKERS) expect([undefined, BARS], t).toContain(afterOutage.get(t));

    // The same process runs the next ETL run to completion.
    const next = await fetch(`${service.url}/api/v1/etl/run?tickers=${TICKERS.join(',')}`, { method: 'POST' });
    expect(next.status).toBe(200);
    expect(await next.json()).toMatchObject({ status: 'completed', failed: 0 });
    const final = await counts();
    for (const t of TICKERS) expect(final.get(t), t).toBe(BARS);
    expect(service.proc.pid).toBe(pid);
    expect(service.proc.exitCode).toBeNull();

    const statuses: Record<string, number> = {};
    for (const s of samples) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    console.info(`[database outage] ${samples.length + 22} requests (${down.length} while down, slowest ${Math.round(Math.max(...down.map((s) => s.ms)))} ms), ` +
      `statuses ${JSON.stringify(statuses)}, faults: 1 server stop with ${loaded.length}/${TICKERS.length} tickers loaded, recovered in ${recoveredMs} ms after restart, ` +
      `rows lost 0, half-written tickers 0`);
  });
});
