// WORKERS > 1: several HTTP processes on one port against the server, one scheduler between them,
// a dead worker replaced, a clean stop; and a clear refusal on the embedded database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createServerDatabase, SERVER_URL } from '../helpers/databases.ts';
import { runServiceToExit, startService, type RunningService } from '../helpers/service.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const linesOf = (out: string) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe.runIf(SERVER_URL)('WORKERS=2 on the PostgreSQL server', () => {
  let service: RunningService;
  let url: string;
  let drop = async () => {};
  beforeAll(async () => {
    const created = await createServerDatabase();
    url = created.url;
    drop = created.drop;
    service = await startService({
      DATABASE_URL: created.url, WORKERS: '2', ETL_ENABLED: 'true', ETL_INTERVAL_MINUTES: '60',
      DEFAULT_TICKERS: 'IBM', ALPHA_VANTAGE_BASE_URL: 'http://127.0.0.1:9/query', // refused: the run ends quickly
    });
  });
  afterAll(async () => {
    await service?.stop('SIGKILL');
    await drop();
  });

  it('serves from both workers, runs one scheduler, replaces a dead worker and stops cleanly', async () => {
    // New connections are spread over the workers.
    let made = 40;
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${service.url}/api/v1/tickers`, { headers: { connection: 'close' } });
      expect(res.status).toBe(200);
    }
    const served = () => new Set(linesOf(service.output()).filter((l) => l.msg === 'request completed').map((l) => l.pid));
    // Round-robin hands new connections to the workers in turn; keep going until both have served.
    for (let i = 0; i < 200 && served().size < 2; i++, made++) {
      expect((await fetch(`${service.url}/api/v1/tickers`, { headers: { connection: 'close' } })).status).toBe(200);
    }
    expect(served().size).toBe(2);
    // /metrics on either worker counts the whole service's requests.
    for (let i = 0; i < 4; i++) {
      const metrics = await (await fetch(`${service.url}/metrics`, { headers: { connection: 'close' } })).text();
      const counted = [...metrics.matchAll(/^http_requests_total\{[^}]*route="\/api\/v1\/tickers"[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
      expect(counted).toBe(made);
    }
    const started = linesOf(service.output()).filter((l) => l.msg === 'etl scheduler started');
    expect(started).toHaveLength(1);
    expect(linesOf(service.output()).filter((l) => String(l.msg).startsWith('API_KEY is not set'))).toHaveLength(1);

    // Writes leave count deltas; the service folds them into the counts within seconds.
    const created = await fetch(`${service.url}/api/v1/market-data`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticker: 'CMP', date: '2024-01-02', open: 1, high: 1, low: 1, close: 1, volume: 1 }),
    });
    expect(created.status).toBe(201);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const pending = async () => Number((await client.query('SELECT (SELECT count(*) FROM market_data_day_count_deltas) + (SELECT count(*) FROM market_data_ticker_stat_deltas) AS n')).rows[0].n);
      const until = Date.now() + 15_000;
      while ((await pending()) > 0 && Date.now() < until) await sleep(200);
      expect(await pending()).toBe(0);
      expect((await client.query(`SELECT rows FROM market_data_ticker_stats WHERE ticker = 'CMP'`)).rows).toEqual([{ rows: '1' }]);
    } finally {
      await client.end();
    }

    // Kill the scheduling worker: it is replaced, and the replacement schedules.
    const schedulerPid = started[0]!.pid as number;
    process.kill(schedulerPid, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    while (linesOf(service.output()).filter((l) => l.msg === 'etl scheduler started').length < 2 && Date.now() < deadline) await sleep(100);
    const again = linesOf(service.output()).filter((l) => l.msg === 'etl scheduler started');
    expect(again).toHaveLength(2);
    expect(again[1]!.pid).not.toBe(schedulerPid);
    expect(linesOf(service.output()).some((l) => l.msg === 'a worker died; replacing it')).toBe(true);
    expect((await fetch(`${service.url}/api/v1/health`)).status).toBe(200);

    const stopping = Date.now();
    expect(await service.stop('SIGTERM')).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(10_000);
  });
});

describe('WORKERS=2 on the embedded database', () => {
  it('is refused at start with a clear message', () => {
    const result = runServiceToExit({ WORKERS: '2', PORT: '0' }, { entry: 'main', timeoutMs: 30_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('WORKERS: 2 processes need a PostgreSQL server (DATABASE_URL)');
  });
});
