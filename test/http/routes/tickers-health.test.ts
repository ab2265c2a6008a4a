// /api/v1/tickers, /api/v1/tickers/{ticker} and /api/v1/health.
import { describe, expect, it } from 'vitest';
import { stopAccepting } from '../../../src/http/plugins/drain.ts';
import { HEALTH_TIMEOUT_MS } from '../../../src/http/routes/health.ts';
import { openPglite } from '../../../src/db/driver/pglite.ts';
import { openPostgres } from '../../../src/db/driver/postgres.ts';
import { bar, testApp, useTestApp } from '../../helpers/app.ts';
import { DATABASE_KINDS } from '../../helpers/databases.ts';

describe.each(DATABASE_KINDS)('tickers and health on %s', (kind) => {
  const ctx = useTestApp(kind, { resetEach: true });

  const post = async (overrides: Record<string, unknown>) => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar(overrides) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };

  it('lists no tickers when empty, then the distinct tickers sorted', async () => {
    expect((await ctx.app.inject('/api/v1/tickers')).json()).toEqual([]);
    for (const [ticker, date] of [['MSFT', '2024-01-02'], ['AAPL', '2024-01-02'], ['MSFT', '2024-01-03'], ['BRK.B', '2024-01-02'], ['A', '2024-01-05']]) {
      await post({ ticker, date });
    }
    const res = await ctx.app.inject('/api/v1/tickers');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(['A', 'AAPL', 'BRK.B', 'MSFT']);
  });

  it('summarises one ticker, case-insensitively', async () => {
    await post({ ticker: 'MSFT', date: '2024-01-02' });
    await post({ ticker: 'MSFT', date: '2024-01-04', close: 154 });
    await post({ ticker: 'MSFT', date: '2024-01-03' });
    await post({ ticker: 'AAPL', date: '2024-01-09' });
    const res = await ctx.app.inject('/api/v1/tickers/msft');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ ticker: 'MSFT', first_date: '2024-01-02', last_date: '2024-01-04', rows: 3 });
    expect(body.latest).toMatchObject({ ticker: 'MSFT', date: '2024-01-04', close: 154 });
    expect(Object.keys(body.latest)).toHaveLength(13);
  });

  it('answers 404 for an unknown ticker and 422 for a malformed one', async () => {
    const missing = await ctx.app.inject('/api/v1/tickers/NOPE');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ status: 404, detail: 'no data for ticker NOPE' });
    const bad = await ctx.app.inject(`/api/v1/tickers/${'A'.repeat(17)}`);
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0].field).toBe('ticker');
  });

  it('reports healthy with version and timestamp', async () => {
    const res = await ctx.app.inject('/api/v1/health');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({ status: 'healthy', database: 'healthy', version: expect.stringMatching(/^\d+\.\d+\.\d+/), timestamp: expect.any(String) });
    expect(Math.abs(Date.parse(body.timestamp) - Date.now())).toBeLessThan(5000);
  });

  it('shares one database check between concurrent requests, and asks again for the next', async () => {
    let pings = 0;
    const counted = { ...ctx.t.db, ping: (ms: number) => { pings++; return ctx.t.db.ping(ms); } };
    const probed = await testApp(counted);
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, () => probed.inject('/api/v1/health')));
      expect(answers.every((a) => a.statusCode === 200)).toBe(true);
      expect(pings).toBe(1);
      expect((await probed.inject('/api/v1/health')).statusCode).toBe(200);
      expect(pings).toBe(2); // no healthy answer is kept: the next call asks the database again
    } finally {
      await probed.close();
    }
  });

  it('answers live without the database, and ready when it answers with every migration applied', async () => {
    const live = await ctx.app.inject('/api/v1/health/live');
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'alive', version: expect.any(String), timestamp: expect.any(String) });
    const ready = await ctx.app.inject('/api/v1/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', database: 'healthy', migrations: 'applied', draining: false });
  });

  it('answers ready 503 when a migration is missing, and while draining', async () => {
    const probed = await testApp(ctx.t.db);
    try {
      const last = (await ctx.t.db.query<{ v: number }>('SELECT max(version) AS v FROM schema_migrations')).rows[0]!.v;
      const kept = (await ctx.t.db.query<Record<string, unknown>>('DELETE FROM schema_migrations WHERE version = $1 RETURNING *', [last])).rows[0]!;
      try {
        const pending = await probed.inject('/api/v1/health/ready');
        expect(pending.statusCode).toBe(503);
        expect(pending.json()).toMatchObject({ status: 'not_ready', database: 'healthy', migrations: 'pending', draining: false });
      } finally {
        await ctx.t.db.query('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)',
          [kept.version, kept.name, kept.checksum, kept.applied_at]);
      }
      expect((await probed.inject('/api/v1/health/ready')).statusCode).toBe(200);
      await stopAccepting(probed); // what SIGTERM does first
      const draining = await probed.inject('/api/v1/health/ready');
      expect(draining.statusCode).toBe(503);
      expect(draining.json()).toMatchObject({ status: 'not_ready', database: 'healthy', migrations: 'applied', draining: true });
      expect((await probed.inject('/api/v1/health/live')).statusCode).toBe(200);
      expect((await probed.inject('/api/v1/health')).statusCode).toBe(200);
    } finally {
      await probed.close();
    }
  });

  // A frozen connection: the database's one connection (PGlite) held by a transaction that does not
  // end, or the server backend behind the pool's only connection stopped (SIGSTOP). The answer
  // must be 503 within 2.5 s even when the previous call, a moment before, was healthy.
  it('answers 503 within 2.5 s through a frozen connection, right after a healthy answer', async () => {
    const db = kind === 'pglite' ? ctx.t.db : await openPostgres({ url: ctx.t.url!, poolSize: 1 });
    const probed = await testApp(db);
    let thaw = async () => {};
    try {
      expect((await probed.inject('/api/v1/health')).statusCode).toBe(200);
      if (kind === 'pglite') {
        let release!: () => void;
        const held = db.transaction(() => new Promise<void>((resolve) => { release = resolve; }));
        thaw = async () => { release(); await held; };
      } else {
        const pid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        process.kill(pid, 'SIGSTOP');
        thaw = async () => { process.kill(pid, 'SIGCONT'); };
      }
      const started = Date.now();
      const [health, ready] = await Promise.all([probed.inject('/api/v1/health'), probed.inject('/api/v1/health/ready')]);
      const took = Date.now() - started;
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({ status: 'unhealthy', database: 'unhealthy' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'not_ready', database: 'unhealthy', migrations: 'unknown' });
      expect(took).toBeGreaterThanOrEqual(HEALTH_TIMEOUT_MS - 50);
      expect(took).toBeLessThan(2500);
      expect((await probed.inject('/api/v1/health/live')).statusCode).toBe(200);
      await thaw();
      thaw = async () => {};
      expect((await probed.inject('/api/v1/health')).statusCode).toBe(200);
    } finally {
      await thaw();
      await probed.close();
      if (db !== ctx.t.db) await db.close();
    }
  });

  // PGlite runs on the main thread: a long query freezes the whole process, timers included, so
  // "busy" cannot be observed from inside. Its real failure is a database that is gone.
  it.runIf(kind === 'pglite')('answers 503 "unhealthy" when the embedded database has failed', async () => {
    const db = await openPglite(undefined);
    const broken = await testApp(db);
    try {
      expect((await broken.inject('/api/v1/health')).statusCode).toBe(200);
      await db.close();
      const res = await broken.inject('/api/v1/health');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'unhealthy', database: 'unhealthy' });
    } finally {
      await broken.close();
    }
  });

  it.runIf(kind === 'postgres')('answers 503 "unhealthy" after 2 s when the server is too busy to answer', async () => {
    // A real stall: the app's only connection is held by a long query.
    const db = await openPostgres({ url: ctx.t.url!, poolSize: 1 });
    const busyApp = await testApp(db);
    try {
      const stall = db.query('SELECT pg_sleep(3)');
      const started = Date.now();
      const res = await busyApp.inject('/api/v1/health');
      const took = Date.now() - started;
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'unhealthy', database: 'unhealthy' });
      expect(took).toBeGreaterThanOrEqual(HEALTH_TIMEOUT_MS - 50);
      expect(took).toBeLessThan(HEALTH_TIMEOUT_MS + 500);
      await stall;
      expect((await busyApp.inject('/api/v1/health')).statusCode).toBe(200);
    } finally {
      await busyApp.close();
      await db.close();
    }
  });
});
