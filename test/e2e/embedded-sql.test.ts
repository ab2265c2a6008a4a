// The service on the embedded database, as users run it: with EMBEDDED_SQL_PORT an outside client
// (pg here, psql where installed) reads the rows the API serves; and a process whose database
// worker dies exits non-zero at once rather than keep accepting requests.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/private-postgres.ts';
import { ROOT, runServiceToExit, startService, type RunningService } from '../helpers/service.ts';

const HAVE_PSQL = spawnSync('psql', ['--version']).error === undefined;
const BARS = [
  { ticker: 'SQLX', date: '2024-01-02', open: '150.1', high: 155, low: 149.25, close: '153.000001', volume: 3_000_000_000 },
  { ticker: 'SQLX', date: '2024-01-03', open: 153, high: 154, low: 150, close: 151.5, volume: 12 },
];

describe('EMBEDDED_SQL_PORT', () => {
  let dir: string;
  let service: RunningService;
  let sqlPort: number;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-sql-port-'));
    sqlPort = await freePort();
    service = await startService({ DATA_DIR: dir, EMBEDDED_SQL_PORT: String(sqlPort) });
    for (const bar of BARS) {
      const res = await fetch(`${service.url}/api/v1/market-data`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bar) });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    expect(await service?.stop()).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lets a pg client read market_data as the API serves it, and says so in the log', async () => {
    const api = await (await fetch(`${service.url}/api/v1/market-data?ticker=SQLX&order=asc`)).json() as { items: Record<string, unknown>[] };
    const client = new pg.Client({ host: '127.0.0.1', port: sqlPort, user: 'analyst', database: 'postgres' });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT id, ticker, date::text AS date, trim_scale(open)::text AS open, trim_scale(high)::text AS high,
        trim_scale(low)::text AS low, trim_scale(close)::text AS close, volume::text AS volume FROM market_data WHERE ticker = 'SQLX' ORDER BY date`);
      expect(rows).toEqual(api.items.map((i) => ({
        id: String(i.id), ticker: i.ticker, date: i.date, open: String(i.open), high: String(i.high), low: String(i.low), close: String(i.close), volume: String(i.volume),
      })));
      expect(rows.map((r) => r.close)).toEqual(['153.000001', '151.5']);
    } finally {
      await client.end();
    }
    expect(service.output()).toContain(`"sql":"postgresql://postgres@127.0.0.1:${sqlPort}/postgres"`);
  });

  it.runIf(HAVE_PSQL)('answers psql too', () => {
    const out = spawnSync('psql', [`postgresql://postgres@127.0.0.1:${sqlPort}/postgres`, '-XAtc', `SELECT count(*), sum(volume) FROM market_data WHERE ticker = 'SQLX'`],
      { encoding: 'utf8', env: { PATH: process.env.PATH, PGCONNECT_TIMEOUT: '5' } });
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('2|3000000012');
  });

  it('is refused with a server database, and listens on 127.0.0.1 only', async () => {
    const refused = runServiceToExit({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none', EMBEDDED_SQL_PORT: '5999' }, { entry: 'main' });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('EMBEDDED_SQL_PORT');
    const addresses = Object.values(os.networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal);
    for (const a of addresses) {
      const client = new pg.Client({ host: a!.address, port: sqlPort, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 });
      await expect(client.connect()).rejects.toThrow();
    }
  });
});

describe('a database worker that dies', () => {
  it('makes the process exit non-zero at once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-worker-dies-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/worker-dies.ts'], {
        cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dir, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let openedAt = 0;
      child.stdout.on('data', (d) => { out += d; if (!openedAt && out.includes('opened')) openedAt = Date.now(); });
      child.stderr.on('data', (d) => { out += d; });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(out).not.toContain('still running');
      expect(code).toBe(1);
      expect(Date.now() - openedAt).toBeLessThan(3000);
      expect(out).toMatch(/"level":"fatal".*the embedded database stopped/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
