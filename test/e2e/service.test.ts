// The service as a process: `npm start` on the embedded database and on a PostgreSQL server,
// the data directory lock, graceful shutdown, and a server outage survived without a restart.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivatePostgres, freePort, PRIVATE_POSTGRES_AVAILABLE, type PrivatePostgres } from '../helpers/private-postgres.ts';
import { health, runServiceToExit, startService } from '../helpers/service.ts';
import { SERVER_URL } from '../helpers/databases.ts';

const AV_KEY = 'AVKEY-SECRET-1234567890';
const API_KEY = 'service-api-key-0987654321';
const bar = { ticker: 'E2E', date: '2024-01-15', open: '150.10', high: 155, low: 149, close: 153, volume: 3_000_000_000 };

describe('the service on the embedded database', { timeout: 180_000 }, () => {
  let dataDir: string;
  beforeAll(() => { dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-e2e-')); });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts over a lock left by a dead container, refuses a second process, stops cleanly and keeps the data', async () => {
    // What a container that stopped uncleanly leaves: its pid (1) and its hostname, gone since.
    fs.writeFileSync(path.join(dataDir, 'service.lock'), JSON.stringify({ pid: 1, host: 'f00dfeedbeef', since: '2026-01-01T00:00:00.000Z' }));
    const first = await startService({ DATA_DIR: dataDir, ALPHA_VANTAGE_API_KEY: AV_KEY });
    try {
      expect(await health(first.url)).toBe(200);
      const created = await fetch(`${first.url}/api/v1/market-data`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bar),
      });
      expect(created.status).toBe(201);
      expect(first.output().split('API_KEY is not set').length - 1).toBe(1);

      // The second start is `market-data serve` (what `npm start` runs once built).
      const second = runServiceToExit({ DATA_DIR: dataDir, PORT: String(await freePort()), LOG_FORMAT: 'json', ETL_ENABLED: 'false' }, { timeoutMs: 60_000 });
      expect(second.status).not.toBe(0);
      expect(second.status).not.toBeNull();
      expect(`${second.stdout}${second.stderr}`).toContain(path.resolve(dataDir));
      expect(`${second.stdout}${second.stderr}`).toContain(`in use by another process (pid ${first.proc.pid})`);
      expect(await health(first.url)).toBe(200);
    } finally {
      const started = Date.now();
      expect(await first.stop('SIGTERM')).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
    }
    expect(first.output()).not.toContain(AV_KEY);

    const again = await startService({ DATA_DIR: dataDir });
    try {
      const list = await (await fetch(`${again.url}/api/v1/market-data?ticker=e2e`)).json() as { total: number; items: object[] };
      expect(list.total).toBe(1);
      expect(list.items[0]).toMatchObject({ ticker: 'E2E', open: 150.1, volume: 3_000_000_000 });

      // Readiness over a kept-alive connection: 200, then 503 from the moment SIGTERM starts the drain.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const ready = () => new Promise<{ status: number; draining: boolean }>((resolve, reject) => {
        http.get(`${again.url}/api/v1/health/ready`, { agent }, (res) => {
          let body = '';
          res.on('data', (d) => { body += d; });
          res.on('end', () => resolve({ status: res.statusCode!, draining: (JSON.parse(body) as { draining: boolean }).draining }));
        }).on('error', reject);
      });
      try {
        expect(await ready()).toEqual({ status: 200, draining: false });
        again.proc.kill('SIGTERM');
        let answer = await ready();
        for (const until = Date.now() + 1000; answer.status === 200 && Date.now() < until;) answer = await ready();
        expect(answer).toEqual({ status: 503, draining: true });
      } finally {
        agent.destroy();
      }
    } finally {
      expect(await (again.proc.killed ? again.exited : again.stop())).toBe(0); // a second SIGTERM would kill it
    }
  });

  it('refuses to serve on every interface without an API key, before opening anything', () => {
    const untouched = path.join(dataDir, 'untouched');
    const res = runServiceToExit({ HOST: '0.0.0.0', PORT: '1', DATA_DIR: untouched, LOG_FORMAT: 'json' }, { timeoutMs: 60_000 });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('API_KEY: required when HOST (0.0.0.0) is not a loopback address');
    expect(res.stderr).toContain('ALLOW_OPEN_WRITES=true');
    expect(fs.existsSync(untouched)).toBe(false);
  });

  it('exits non-zero listing every bad variable', () => {
    const res = runServiceToExit({ PORT: 'x', LOG_LEVEL: 'chatty', DATA_DIR: dataDir }, { entry: 'main' });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('PORT');
    expect(res.stderr).toContain('LOG_LEVEL');
  });
});

describe.runIf(SERVER_URL && PRIVATE_POSTGRES_AVAILABLE)('the service on a PostgreSQL server', () => {
  let pg: PrivatePostgres;
  beforeAll(async () => { pg = await createPrivatePostgres(); });
  afterAll(() => pg?.destroy());

  it('serves 200, answers 503 within 3 s of the server stopping, and recovers without a restart', async () => {
    // The original service's URL form, with a password that must never reach the log.
    const url = pg.url.replace('postgresql://', 'postgresql+asyncpg://');
    const service = await startService({ DATABASE_URL: url, ALPHA_VANTAGE_API_KEY: AV_KEY, API_KEY });
    try {
      expect(await health(service.url)).toBe(200);
      const headers = { 'content-type': 'application/json', 'x-api-key': API_KEY };
      expect((await fetch(`${service.url}/api/v1/market-data`, { method: 'POST', headers, body: JSON.stringify(bar) })).status).toBe(201);

      pg.stop();
      const stoppedAt = Date.now();
      let status = 0;
      while (Date.now() - stoppedAt < 3000 && (status = await health(service.url, 3000)) !== 503) { /* poll */ }
      expect(status).toBe(503);
      expect(Date.now() - stoppedAt).toBeLessThan(3000);
      const read = await fetch(`${service.url}/api/v1/market-data`, { signal: AbortSignal.timeout(3000) });
      expect(read.status).toBe(503);
      expect(read.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(read.headers.get('retry-after')).toBe('5');

      pg.start();
      const restartedAt = Date.now();
      while ((await health(service.url)) !== 200) {
        expect(Date.now() - restartedAt).toBeLessThan(10_000);
        await new Promise((r) => setTimeout(r, 100));
      }
      const list = await (await fetch(`${service.url}/api/v1/market-data`)).json() as { total: number };
      expect(list.total).toBe(1);
    } finally {
      expect(await service.stop()).toBe(0);
    }
    const log = service.output();
    expect(log).not.toContain(AV_KEY);
    expect(log).not.toContain(API_KEY);
    expect(log).not.toContain('not-a-real-password');
  });
});
