// Reads on streaming replicas (issue 19), on a private primary with two replicas started by the
// test (helpers/replica-cluster.ts): read-your-writes under load, a replica killed under read
// load, a replica whose replay is paused, an export whose replica stops mid-stream, and a read
// cancelled by "conflict with recovery".
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/driver/database.ts';
import { openDatabase, readsOf } from '../../src/db/index.ts';
import { migrate } from '../../src/db/driver/migrate.ts';
import { openPostgres } from '../../src/db/driver/postgres.ts';
import { openReplicas, withReplicas, type ReplicaSet } from '../../src/db/driver/replicas.ts';
import { bar, testApp, testConfig } from '../helpers/app.ts';
import { createReplicaCluster, PRIVATE_POSTGRES_AVAILABLE, type ReplicaCluster } from '../helpers/replica-cluster.ts';
import { startService } from '../helpers/service.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(PRIVATE_POSTGRES_AVAILABLE)('reads on streaming replicas', () => {
  let cluster: ReplicaCluster;
  let primaryOnly: Database;
  const open: { db: Database; app: FastifyInstance }[] = [];

  beforeAll(async () => {
    cluster = await createReplicaCluster(2);
    primaryOnly = await openPostgres({ url: cluster.primary.url, poolSize: 4 });
    await migrate(primaryOnly);
    await cluster.caughtUp();
  }, 120_000);
  afterAll(async () => {
    for (const { app, db } of open) {
      await app.close();
      await db.close();
    }
    await primaryOnly?.close();
    cluster?.destroy();
  });

  /** The service's database with both replicas, and an app on it. */
  const service = async (options: { maxLagMs?: number; waitMs?: number; checkIntervalMs?: number; env?: Record<string, string> } = {}) => {
    const primary = await openPostgres({ url: cluster.primary.url, poolSize: 10 });
    const set: ReplicaSet = await openReplicas(primary, {
      urls: cluster.replicas.map((r) => r.url), maxLagMs: options.maxLagMs ?? 5000, waitMs: options.waitMs ?? 250,
      poolSize: 10, checkIntervalMs: options.checkIntervalMs ?? 200,
    });
    const db = withReplicas(primary, set);
    const app = await testApp(db, options.env);
    open.push({ db, app });
    return { db, set, app };
  };
  const state = (set: ReplicaSet, name: string) => set.statuses().find((s) => s.name === name)!;
  const replicaReads = (set: ReplicaSet) => set.statuses().reduce((n, s) => n + s.reads, 0);

  it('opens DATABASE_READ_URLS for the service only, and refuses a malformed X-Write-LSN', async () => {
    const config = testConfig({ DATABASE_URL: cluster.primary.url, DATABASE_READ_URLS: cluster.replicas.map((r) => r.url).join(',') });
    const cli = await openDatabase(config);
    expect(readsOf(cli)).toBe(cli); // a CLI command: the primary only
    await cli.close();
    const db = await openDatabase(config, undefined, { replicas: true });
    const app = await testApp(db);
    open.push({ db, app });
    expect(readsOf(db)).not.toBe(db);
    expect(db.replicaStatuses!().map((s) => [s.name, s.state])).toEqual([['replica-1', 'up'], ['replica-2', 'up']]);
    const bad = await app.inject({ url: '/api/v1/tickers', headers: { 'x-write-lsn': 'yesterday' } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toEqual([expect.objectContaining({ field: 'X-Write-LSN' })]);
    const health = (await app.inject({ url: '/api/v1/health' })).json();
    expect(health.replicas).toEqual([
      expect.objectContaining({ name: 'replica-1', state: 'up', lag_ms: 0, replay_paused: false }),
      expect.objectContaining({ name: 'replica-2', state: 'up' }),
    ]);
    expect(JSON.stringify(health)).not.toContain(String(cluster.replicas[0]!.port)); // no addresses
    // Without replicas, writes carry no position: the default path is unchanged.
    const plain = await testApp(primaryOnly);
    const created = await plain.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker: 'PLAIN' }) });
    expect(created.statusCode).toBe(201);
    expect(created.headers['x-write-lsn']).toBeUndefined();
    await plain.close();
  });

  it('the service with WORKERS=2 reads on replicas, and its /metrics sums both workers', async () => {
    const service = await startService({
      DATABASE_URL: cluster.primary.url, DATABASE_READ_URLS: cluster.replicas.map((r) => r.url).join(','), WORKERS: '2', LOG_LEVEL: 'warn',
    });
    try {
      for (let i = 0; i < 20; i++) {
        const created = await fetch(`${service.url}/api/v1/market-data`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bar({ ticker: 'SVC', date: `2005-01-${String(i + 1).padStart(2, '0')}` })),
        });
        expect(created.status).toBe(201);
        const { id } = await created.json() as { id: number };
        // Another worker may answer the read: the header carries the position across processes.
        const read = await fetch(`${service.url}/api/v1/market-data/${id}`, { headers: { 'x-write-lsn': created.headers.get('x-write-lsn')! } });
        expect(read.status).toBe(200);
      }
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(/^db_replica_state\{replica="replica-1",state="up"\} 1$/m);
      expect(metrics).toMatch(/^db_replica_lag_seconds\{replica="replica-2"\} \S+$/m);
      const reads = [...metrics.matchAll(/^db_reads_total\{server="(replica-\d)"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[2]), 0);
      expect(reads).toBeGreaterThanOrEqual(20);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });

  it('acceptance 1: a write then at once a read returns it, 1,000 times under concurrent load', async () => {
    const { app, set } = await service();
    const { app: headerOnly } = await service({ env: { READ_YOUR_WRITES_WINDOW_MS: '0' } });
    let loading = true;
    const background = async () => {
      while (loading) {
        const res = await app.inject({ url: '/api/v1/market-data?size=50', remoteAddress: '10.0.0.9' });
        expect(res.statusCode).toBe(200);
      }
    };
    const readsBefore = replicaReads(set);
    const primaryBefore = set.primaryReads();
    let pairs = 0;
    const failures: string[] = [];
    // 20 clients at once, each writing and then reading its write: by id, or in a listing.
    const client = async (c: number, useHeader: boolean) => {
      const target = useHeader ? headerOnly : app;
      for (let i = 0; i < 50; i++) {
        const day = new Date(Date.UTC(2001, 0, 1) + (c * 50 + i) * 86_400_000).toISOString().slice(0, 10);
        const ticker = `RW${c}${useHeader ? 'H' : ''}`;
        const created = await target.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker, date: day, close: 150 + (i % 5) }) });
        expect(created.statusCode).toBe(201);
        const lsn = created.headers['x-write-lsn'] as string;
        expect(lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
        const headers = useHeader ? { 'x-write-lsn': lsn } : {};
        const read = i % 2
          ? await target.inject({ url: `/api/v1/market-data/${created.json().id}`, headers })
          : await target.inject({ url: `/api/v1/market-data?ticker=${ticker}&start_date=${day}&end_date=${day}`, headers });
        const found = i % 2 ? read.statusCode === 200 && read.json().date === day : read.statusCode === 200 && read.json().items[0]?.date === day;
        if (found) pairs++;
        else failures.push(`${ticker} ${day}: ${read.statusCode}`);
      }
    };
    const loads = [background(), background()];
    const started = performance.now();
    try {
      await Promise.all([
        ...Array.from({ length: 20 }, (_, c) => client(c, false)),
        ...Array.from({ length: 4 }, (_, c) => client(c, true)),
      ]);
    } finally {
      loading = false;
      await Promise.all(loads);
    }
    const ms = performance.now() - started;
    expect(failures).toEqual([]);
    expect(pairs).toBe(1200);
    // The replicas served the reads, not the primary alone.
    const onReplicas = replicaReads(set) - readsBefore;
    const onPrimary = set.primaryReads() - primaryBefore;
    console.log(`acceptance 1: ${pairs} write→read pairs in ${Math.round(ms)} ms; reads on replicas ${onReplicas}, on the primary ${onPrimary}`);
    expect(onReplicas).toBeGreaterThan(onPrimary);
  });

  it('acceptance 2: a replica killed under read load: no 5xx, reads go on, it rejoins and serves', async () => {
    const { app, set } = await service({ checkIntervalMs: 100 });
    const paths = ['/api/v1/market-data?size=20', '/api/v1/market-data/1', '/api/v1/tickers', '/api/v1/ticker-summaries', '/api/v1/tickers/RW1', '/api/v1/health'];
    const statuses = new Map<number, number>();
    let reading = true;
    const reader = async (n: number) => {
      for (let i = n; reading; i++) {
        const res = await app.inject({ url: paths[i % paths.length]!, remoteAddress: `10.1.0.${n}` });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      }
    };
    const readers = Array.from({ length: 8 }, (_, n) => reader(n));
    await sleep(300);
    expect(state(set, 'replica-1').reads).toBeGreaterThan(0);
    cluster.replicas[0]!.stop('immediate');
    await sleep(1000);
    expect(state(set, 'replica-1').state).toBe('down');
    expect((await app.inject({ url: '/api/v1/health/ready' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/v1/health' })).json().replicas[0]).toMatchObject({ name: 'replica-1', state: 'down' });
    const otherBefore = state(set, 'replica-2').reads;
    await sleep(300);
    expect(state(set, 'replica-2').reads).toBeGreaterThan(otherBefore); // reads go on elsewhere
    cluster.replicas[0]!.start();
    for (let i = 0; i < 100 && state(set, 'replica-1').state !== 'up'; i++) await sleep(100);
    expect(state(set, 'replica-1').state).toBe('up');
    const rejoined = state(set, 'replica-1').reads;
    await sleep(500);
    reading = false;
    await Promise.all(readers);
    expect(state(set, 'replica-1').reads).toBeGreaterThan(rejoined); // it serves again
    const fives = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    console.log(`acceptance 2: statuses ${JSON.stringify(Object.fromEntries(statuses))}, replica-1 failures ${state(set, 'replica-1').failures}`);
    expect(fives).toBe(0);
  });

  it('acceptance 4: a replica with replay paused goes out of rotation, /metrics shows its lag, and returns', async () => {
    const { app, set } = await service({ maxLagMs: 500, waitMs: 100, checkIntervalMs: 100 });
    await cluster.caughtUp();
    await set.check();
    expect(set.statuses().map((s) => s.state)).toEqual(['up', 'up']);
    const paused = cluster.replicas[1]!;
    await paused.sql('SELECT pg_wal_replay_pause()');
    try {
      // The primary keeps writing: the paused replica falls further behind.
      for (let i = 0; i < 20; i++) {
        await primaryOnly.query('UPDATE market_data SET volume = volume + 1 WHERE id = 1');
        await sleep(50);
      }
      await set.check();
      expect(state(set, 'replica-2')).toMatchObject({ state: 'lagging', paused: true });
      const metrics = (await app.inject({ url: '/metrics' })).body;
      const lag = Number(/^db_replica_lag_seconds\{replica="replica-2"\} (\S+)$/m.exec(metrics)?.[1]);
      expect(lag).toBeGreaterThan(0.5);
      expect(metrics).toMatch(/^db_replica_state\{replica="replica-2",state="lagging"\} 1$/m);
      expect(metrics).toMatch(/^db_replica_state\{replica="replica-1",state="up"\} 1$/m);
      const health = (await app.inject({ url: '/api/v1/health' })).json();
      expect(health.replicas[1]).toMatchObject({ name: 'replica-2', state: 'lagging', replay_paused: true });
      expect((await app.inject({ url: '/api/v1/health/ready' })).statusCode).toBe(200);
      // No read goes to it meanwhile.
      const before = state(set, 'replica-2').reads;
      for (let i = 0; i < 20; i++) expect((await app.inject({ url: '/api/v1/market-data?size=5', remoteAddress: '10.2.0.1' })).statusCode).toBe(200);
      expect(state(set, 'replica-2').reads).toBe(before);

      // With both paused, a read after a write waits its bound and reads the primary.
      await cluster.replicas[0]!.sql('SELECT pg_wal_replay_pause()');
      const created = await app.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker: 'PAUSE', date: '2003-03-03' }) });
      expect(created.statusCode).toBe(201);
      const onPrimary = set.primaryReads();
      const t0 = performance.now();
      const read = await app.inject({ url: `/api/v1/market-data/${created.json().id}`, headers: { 'x-write-lsn': created.headers['x-write-lsn'] as string } });
      expect(read.statusCode).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
      expect(set.primaryReads()).toBe(onPrimary + 1);
      await cluster.replicas[0]!.sql('SELECT pg_wal_replay_resume()');
    } finally {
      await paused.sql('SELECT pg_wal_replay_resume()');
    }
    await cluster.caughtUp();
    await set.check();
    expect(state(set, 'replica-2').state).toBe('up');
  });

  it('acceptance 5: an export whose replica stops mid-stream completes whole from another server', async () => {
    await primaryOnly.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT 'EX' || (i % 20), date '1990-01-01' + (i / 20), 10 + (i % 7), 20, 5, 15, i FROM generate_series(1, 60000) AS i
      ON CONFLICT DO NOTHING`);
    await cluster.caughtUp(30_000);
    const expected = (await (await testApp(primaryOnly)).inject({ url: '/api/v1/market-data/export?order=asc' })).body;
    expect(expected.split('\r\n').length).toBeGreaterThan(60_000);
    // Checks rarely: the stopped replica is found out by the read that fails on it.
    const { app, set } = await service({ checkIntervalMs: 60_000 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/market-data/export?order=asc`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    const first = await reader.read();
    chunks.push(first.value!);
    const servedBefore = replicaReads(set);
    expect(servedBefore).toBeGreaterThan(0);
    cluster.replicas[0]!.stop('fast');
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const r1 = state(set, 'replica-1');
    console.log(`acceptance 5: ${body.split('\r\n').length - 2} rows; replica-1 ${r1.state}, ${r1.failures} failed reads; replica-2 ${state(set, 'replica-2').reads} reads; primary ${set.primaryReads()}`);
    expect(body).toBe(expected);
    expect(r1.failures).toBeGreaterThan(0); // it did fail over mid-stream
    cluster.replicas[0]!.start();
  });

  it('a read cancelled by conflict with recovery runs again on another server', async () => {
    const [touchy, other] = [cluster.replicas[0]!, cluster.replicas[1]!];
    await primaryOnly.exec('DROP TABLE IF EXISTS conflict_t; CREATE TABLE conflict_t AS SELECT generate_series(1, 1000) AS x');
    await cluster.caughtUp();
    touchy.stop();
    // The other replica's feedback would hold back the primary's vacuum: the read goes on on the primary.
    other.stop();
    // No feedback to the primary and no patience: replay cancels a query in its way at once.
    touchy.start({ hot_standby_feedback: 'off', max_standby_streaming_delay: '0' });
    try {
      const { set } = await service({ checkIntervalMs: 60_000 });
      expect(set.statuses().map((r) => r.state)).toEqual(['up', 'down']);
      // The read goes to replica-1 and holds its snapshot for 2 s.
      const read = set.reads.query<{ n: number }>('SELECT count(*)::int AS n FROM conflict_t, pg_sleep(2)');
      await sleep(500);
      await primaryOnly.exec('DELETE FROM conflict_t');
      await primaryOnly.exec('VACUUM conflict_t');
      const { rows } = await read;
      expect(rows).toHaveLength(1);
      expect(state(set, 'replica-1')).toMatchObject({ failures: 1, state: 'up' }); // cancelled there; not taken out
      expect(set.primaryReads()).toBe(1);
    } finally {
      touchy.stop();
      touchy.start();
      other.start();
    }
  });
});
