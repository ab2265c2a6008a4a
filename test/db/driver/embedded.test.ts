// The embedded database behind its worker (src/db/driver/pglite.ts, pglite-worker.ts, wire-server.ts):
// many `pg` connections share PGlite's one session as they would a server's backends, a stuck
// statement or transaction cannot hold it for everyone, a dead worker is noticed, and an outside
// client on EMBEDDED_SQL_PORT sees what the service wrote without disturbing its session.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/db/driver/migrate.ts';
import { openPglite, type EmbeddedDatabase } from '../../../src/db/driver/pglite.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HAVE_PSQL = spawnSync('psql', ['--version']).error === undefined;

describe('the embedded database worker', () => {
  let db: EmbeddedDatabase;
  let dir: string;
  const lost: Error[] = [];
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-embedded-'));
    db = await openPglite(dir, { sqlPort: 0, statementTimeoutMs: 1500, idleInTransactionMs: 400, onLost: (err) => lost.push(err) });
    await migrate(db);
    await db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume) VALUES
      ('EMB', '2024-01-02', 10.5, 11, 10, 10.75, 100), ('EMB', '2024-01-03', 10.75, 12, 10.5, 11.25, 200)`);
  });
  afterAll(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives each connection its own prepared statements, and drops them when it closes', async () => {
    // 40 queries over the pool's 10 connections, all preparing the same name (on PGlite's one
    // session, unrenamed, the second connection's PREPARE would fail with 42P05).
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => db.query<{ v: number }>('SELECT $1::int AS v', [i], { name: 'same_name' })));
    expect(results.map((r) => r.rows[0]!.v)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const client = new pg.Client({ host: '127.0.0.1', port: db.sqlPort, user: 'postgres', database: 'postgres' });
    await client.connect();
    await client.query({ name: 'mine', text: 'SELECT 1' });
    const names = async () => (await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements')).rows.map((r) => r.name);
    expect((await names()).filter((n) => n.endsWith('_mine'))).toHaveLength(1);
    await client.end();
    for (const until = Date.now() + 2000; (await names()).some((n) => n.endsWith('_mine')) && Date.now() < until;) await sleep(20);
    expect((await names()).filter((n) => n.endsWith('_mine'))).toEqual([]);
  });

  it('keeps a transaction apart: another connection waits for its COMMIT and sees all of it', async () => {
    let readAt = 0;
    const tx = db.transaction(async (q) => {
      await q.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume) VALUES ('TXA', '2024-01-02', 1, 2, 1, 1, 1)`);
      await sleep(150);
      await q.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume) VALUES ('TXA', '2024-01-03', 1, 2, 1, 1, 1)`);
      return Date.now();
    });
    await sleep(30);
    const read = db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_data WHERE ticker = 'TXA'`).then((r) => { readAt = Date.now(); return r.rows[0]!.n; });
    const committedAt = await tx;
    expect(await read).toBe(2);
    expect(readAt).toBeGreaterThanOrEqual(committedAt);
  });

  it('cuts a connection left idle in a transaction, and the others go on', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: db.sqlPort, user: 'postgres', database: 'postgres' });
    const errors: Error[] = [];
    client.on('error', (err) => errors.push(err));
    await client.connect();
    await client.query('BEGIN');
    await client.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume) VALUES ('IDLE', '2024-01-02', 1, 2, 1, 1, 1)`);
    const started = Date.now();
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_data WHERE ticker = 'IDLE'`);
    expect(rows[0]!.n).toBe(0); // rolled back when the connection was cut
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    for (const until = Date.now() + 2000; !errors.length && Date.now() < until;) await sleep(20);
    expect(errors[0]?.message).toMatch(/idle in a transaction/);
    await client.end().catch(() => {});
  });

  it('lets an outside client read what the service wrote, without its settings reaching the service', async () => {
    // statement_timeout=0 asks for none: an outside client gets the service's limit at most.
    const client = new pg.Client({ host: '127.0.0.1', port: db.sqlPort, user: 'anyone', database: 'postgres', statement_timeout: 0 });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT ticker, date::text, close::text, volume FROM market_data WHERE ticker = 'EMB' ORDER BY date`);
      expect(rows).toEqual([
        { ticker: 'EMB', date: '2024-01-02', close: '10.750000', volume: '100' },
        { ticker: 'EMB', date: '2024-01-03', close: '11.250000', volume: '200' },
      ]);
      await client.query(`SET DateStyle = 'German'`);
      await client.query(`SET TimeZone = 'Asia/Tokyo'`);
      const { rows: mine } = await db.query<{ date: string; ts: string }>(`SELECT date '2024-01-02' AS date, timestamptz '2024-01-02 00:00:00+00' AS ts`);
      expect(mine).toEqual([{ date: '2024-01-02', ts: '2024-01-02T00:00:00.000000Z' }]);
    } finally {
      await client.end();
    }
  });

  it.runIf(HAVE_PSQL)('answers psql', () => {
    const out = spawnSync('psql', ['-h', '127.0.0.1', '-p', String(db.sqlPort), '-U', 'postgres', '-d', 'postgres', '-XAtc',
      `SELECT ticker || ' ' || date || ' ' || close FROM market_data WHERE ticker = 'EMB' ORDER BY date`], { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '5' } });
    expect(out.stderr).toBe('');
    expect(out.stdout.trim().split('\n')).toEqual(['EMB 2024-01-02 10.750000', 'EMB 2024-01-03 11.250000']);
  });

  it('restarts the worker when a statement runs past its timeout; the data stays', async () => {
    const before = db.worker;
    const started = Date.now();
    await expect(db.query('SELECT count(*) FROM generate_series(1, 2000000000)')).rejects.toThrow(/Connection terminated/);
    expect(Date.now() - started).toBeLessThan(5000);
    let rows: { n: number }[] = [];
    for (const until = Date.now() + 30_000; Date.now() < until;) {
      try {
        rows = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_data WHERE ticker = 'EMB'`)).rows;
        break;
      } catch {
        await sleep(100);
      }
    }
    expect(rows).toEqual([{ n: 2 }]);
    expect(db.worker).not.toBe(before);
    expect(lost).toEqual([]);
  });

  it('reports a worker that dies, at once', async () => {
    const died = Date.now();
    await db.worker.terminate();
    for (const until = Date.now() + 2000; !lost.length && Date.now() < until;) await sleep(5);
    expect(lost[0]?.message).toMatch(/worker exited/);
    expect(Date.now() - died).toBeLessThan(1000);
    await expect(db.query('SELECT 1')).rejects.toThrow();
  });
});
