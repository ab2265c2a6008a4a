// Security headers, CORS on and off, the per-client rate limit, body limits, unknown fields,
// the request timeouts and the database statement timeout — each through the real app.
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_FAILURES_PER_MINUTE } from '../../../src/http/plugins/auth.ts';
import { openPostgres } from '../../../src/db/driver/postgres.ts';
import { appWithEtl, bar, captureLogger, testApp, testConfig } from '../../helpers/app.ts';
import { openTestDatabase, SERVER_URL, type TestDatabase } from '../../helpers/databases.ts';
import { startFakeAlphaVantage } from '../../helpers/fake-alpha-vantage.ts';

type App = Awaited<ReturnType<typeof testApp>>;
const PROBLEM = /^application\/problem\+json/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hardening on the embedded database', () => {
  let t: TestDatabase;
  const apps: App[] = [];
  const app = async (env: Record<string, string> = {}) => {
    const a = await testApp(t.db, env);
    apps.push(a);
    return a;
  };
  beforeAll(async () => { t = await openTestDatabase('pglite'); });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await t?.drop();
  });

  it('sends the security headers on API answers, errors and pages', async () => {
    const a = await app();
    for (const url of ['/api/v1/health', '/api/v1/market-data?page=0', '/nowhere', '/docs/', '/redoc']) {
      const res = await a.inject(url);
      expect(res.headers['content-security-policy'], url).toContain("default-src 'self'");
      expect(res.headers['content-security-policy'], url).toContain("script-src 'self';");
      expect(res.headers['content-security-policy'], url).toContain("object-src 'none'");
      expect(res.headers['content-security-policy'], url).not.toContain('upgrade-insecure-requests');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['x-frame-options'], url).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      expect(res.headers['cross-origin-resource-policy'], url).toBe('same-origin');
      expect(res.headers['x-powered-by'], url).toBeUndefined();
    }
  });

  it('has CORS off unless CORS_ORIGINS lists origins', async () => {
    const closed = await app();
    const get = await closed.inject({ url: '/api/v1/tickers', headers: { origin: 'https://dash.example' } });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await closed.inject({
      method: 'OPTIONS', url: '/api/v1/market-data',
      headers: { origin: 'https://dash.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
    expect(preflight.statusCode).toBe(404);
    expect(preflight.headers['content-type']).toMatch(PROBLEM);
  });

  it('allows exactly the listed origins when CORS_ORIGINS is set', async () => {
    const open = await app({ CORS_ORIGINS: 'https://dash.example, http://localhost:5173' });
    const allowed = await open.inject({ url: '/api/v1/tickers', headers: { origin: 'https://dash.example' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://dash.example');
    expect(allowed.headers['access-control-expose-headers']).toContain('x-request-id');
    expect(allowed.headers.vary).toMatch(/origin/i);
    const other = await open.inject({ url: '/api/v1/tickers', headers: { origin: 'https://evil.example' } });
    expect(other.statusCode).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await open.inject({
      method: 'OPTIONS', url: '/api/v1/market-data',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toContain('x-api-key');
    const refused = await open.inject({
      method: 'OPTIONS', url: '/api/v1/market-data',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' },
    });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('has no rate limit by default', async () => {
    const a = await app();
    const statuses = new Set<number>();
    for (let i = 0; i < 150; i++) statuses.add((await a.inject('/api/v1/tickers')).statusCode);
    expect([...statuses]).toEqual([200]);
  });

  it('limits each client to RATE_LIMIT_PER_MINUTE on /api, answering 429 problem+json with Retry-After', async () => {
    const a = await app({ RATE_LIMIT_PER_MINUTE: '5' });
    const from = (remoteAddress: string, url = '/api/v1/market-data') => a.inject({ url, remoteAddress });
    for (let i = 0; i < 5; i++) {
      const ok = await from('10.0.0.1');
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(4 - i));
    }
    const limited = await from('10.0.0.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(PROBLEM);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.json()).toMatchObject({ status: 429, title: 'Too Many Requests', detail: expect.stringContaining('5 requests per minute') });
    // Writes count too, other clients have their own allowance,
    // and health checks, metrics and the docs are not limited.
    expect((await a.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar(), remoteAddress: '10.0.0.1' })).statusCode).toBe(429);
    expect((await from('10.0.0.2')).statusCode).toBe(200);
    for (const url of ['/api/v1/health', '/metrics', '/openapi.json', '/docs/']) {
      expect((await from('10.0.0.1', url)).statusCode, url).toBe(200);
    }
  });

  it('limits by the route that matched, however the URL spells it: /%61pi/v1/… is /api/v1/…', async () => {
    const a = await app({ RATE_LIMIT_PER_MINUTE: '3' });
    const from = (url: string) => a.inject({ url, remoteAddress: '10.0.1.1' });
    for (let i = 0; i < 3; i++) expect((await from('/%61pi/v1/market-data')).statusCode).toBe(200);
    expect((await from('/%61pi/v1/market-data')).statusCode).toBe(429);
    expect((await from('/api/v1/tickers')).statusCode).toBe(429);
    expect((await from('/api/v1/%68ealth')).statusCode).toBe(200); // health, spelt oddly, is still health
  });

  it('limits wrong API keys per client even without a rate limit, refusing its keys unchecked once over', async () => {
    const key = 'the-right-key-0123456789';
    const a = await app({ API_KEY: key, LOG_LEVEL: 'info' });
    const write = (remoteAddress: string, apiKey?: string) => a.inject({
      method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker: 'KEYS', date: '2024-03-01' }), remoteAddress,
      headers: apiKey ? { 'x-api-key': apiKey } : {},
    });
    for (let i = 0; i < KEY_FAILURES_PER_MINUTE; i++) expect((await write('10.0.2.1', `guess-${i}-0123456789`)).statusCode).toBe(401);
    const refused = await write('10.0.2.1', key); // the right key, but not even compared now
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(PROBLEM);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json().detail).toMatch(/too many wrong API keys/);
    expect((await write('10.0.2.2', key)).statusCode).toBe(201); // another client is not concerned
    const warnings = a.logLines.map((l) => JSON.parse(l)).filter((l) => l.level === 'warn');
    expect(warnings.filter((l) => l.msg === 'api key check failed' && l.ip === '10.0.2.1')).toHaveLength(KEY_FAILURES_PER_MINUTE);
    expect(warnings.some((l) => /too many failed keys/.test(l.msg))).toBe(true);
    expect(a.logLines.join('')).not.toContain(key);
  });

  it('answers only to the loopback names when bound to loopback (DNS rebinding), and to ALLOWED_HOSTS', async () => {
    const a = await app();
    const get = (host: string) => a.inject({ url: '/api/v1/tickers', headers: { host } });
    for (const host of ['127.0.0.1:8000', 'localhost:8000', 'LOCALHOST', '[::1]:8000']) expect((await get(host)).statusCode, host).toBe(200);
    for (const host of ['evil.example:8000', 'evil.example', '127.0.0.1.nip.io:8000']) {
      const res = await get(host);
      expect(res.statusCode, host).toBe(421);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    }
    expect((await a.inject({ url: '/', headers: { host: 'evil.example' } })).statusCode).toBe(421); // the dashboard too
    const proxied = await app({ ALLOWED_HOSTS: 'market.example' });
    expect((await proxied.inject({ url: '/api/v1/tickers', headers: { host: 'market.example' } })).statusCode).toBe(200);
    expect((await proxied.inject({ url: '/api/v1/tickers', headers: { host: '127.0.0.1:8000' } })).statusCode).toBe(200);
    expect((await proxied.inject({ url: '/api/v1/tickers', headers: { host: 'evil.example' } })).statusCode).toBe(421);
    // On every interface (which needs an API key to serve), names are not checked unless listed.
    const everywhere = await app({ HOST: '0.0.0.0', API_KEY: 'the-right-key-0123456789' });
    expect((await everywhere.inject({ url: '/api/v1/tickers', headers: { host: 'market.example' } })).statusCode).toBe(200);
  });

  it('refuses a state-changing request from a page of another site, unless CORS_ORIGINS allows it', async () => {
    const a = await app();
    const post = (headers: Record<string, string>, url = '/api/v1/market-data', date = '2024-04-01') =>
      a.inject({ method: 'POST', url, payload: bar({ ticker: 'SITE', date }), headers });
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { origin: 'http://localhost:9999', 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of crossSite) {
      const res = await post(headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    }
    // A page that POSTs to /etl/run with no body at all: a form on any site could.
    expect((await a.inject({ method: 'POST', url: '/api/v1/etl/run', headers: { origin: 'https://evil.example' } })).statusCode).toBe(403);
    expect((await a.inject('/api/v1/market-data?ticker=SITE')).json().total).toBe(0);
    expect((await a.inject({ url: '/api/v1/tickers', headers: { origin: 'https://evil.example' } })).statusCode).toBe(200); // reads are not changes
    // The dashboard (same origin), curl and scripts (no Origin) write as before.
    expect((await post({ origin: 'http://localhost', 'sec-fetch-site': 'same-origin' }, undefined, '2024-04-02')).statusCode).toBe(201);
    expect((await post({ origin: 'http://localhost:80' }, undefined, '2024-04-03')).statusCode).toBe(201);
    expect((await post({}, undefined, '2024-04-04')).statusCode).toBe(201);
    const listed = await app({ CORS_ORIGINS: 'https://dash.example' });
    expect((await listed.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker: 'SITE', date: '2024-04-05' }),
      headers: { origin: 'https://dash.example', 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(201);
    expect((await listed.inject({ method: 'DELETE', url: '/api/v1/market-data/1', headers: { origin: 'https://evil.example' } })).statusCode).toBe(403);
  });

  it('logs the client address of each request, from X-Forwarded-For only when TRUST_PROXY trusts the sender', async () => {
    const lines = async (env: Record<string, string>) => {
      const a = await app({ LOG_LEVEL: 'info', ...env });
      await a.inject({ url: '/api/v1/tickers', remoteAddress: '10.0.3.1', headers: { 'x-forwarded-for': '203.0.113.7' } });
      return a.logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
    };
    expect(await lines({})).toEqual([expect.objectContaining({ url: '/api/v1/tickers', status: 200, ip: '10.0.3.1' })]);
    expect(await lines({ TRUST_PROXY: 'true' })).toEqual([expect.objectContaining({ ip: '203.0.113.7' })]);
    expect(await lines({ TRUST_PROXY: '10.0.9.0/24' })).toEqual([expect.objectContaining({ ip: '10.0.3.1' })]);
  });

  it('refuses a body over 64 kB with 413 problem+json, before parsing it', async () => {
    const a = await app();
    for (const method of ['POST', 'PUT', 'PATCH'] as const) {
      const url = method === 'POST' ? '/api/v1/market-data' : '/api/v1/market-data/1';
      const res = await a.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: `{"ticker":"${'A'.repeat(70_000)}"}` });
      expect(res.statusCode, method).toBe(413);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.json()).toMatchObject({ status: 413, title: 'Payload Too Large' });
    }
  });

  it('answers 413 to oversized bodies sent as fast as possible, every client reading it, none reset', async () => {
    const config = testConfig();
    const a = await appWithEtl({ config, db: t.db, logger: captureLogger(config).logger });
    await a.listen({ host: '127.0.0.1', port: 0 });
    const { port } = a.server.address() as AddressInfo;
    // The clients run in a process of their own, as real ones do (sharing this event loop, they
    // would always read the answer before the server's close reached them). fetch (undici) gives
    // up on a request whose body it can no longer write, even with the 413 already there to read:
    // a server that closes while the client still sends shows as EPIPE or ECONNRESET.
    const clients = `
      const body = Buffer.alloc(2 * 1024 * 1024, 'x'); // 2 MB, 32 times the limit
      const send = async () => {
        try {
          const res = await fetch('http://127.0.0.1:${port}/api/v1/market-data', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
          const answer = await res.json();
          return res.status === 413 && answer.status === 413 ? '413' : String(res.status);
        } catch (err) {
          return err.cause?.code ?? err.message;
        }
      };
      const counts = {};
      for (const outcome of await Promise.all(Array.from({ length: 200 }, send))) counts[outcome] = (counts[outcome] ?? 0) + 1;
      console.log(JSON.stringify(counts));`;
    try {
      const child = spawn(process.execPath, ['--input-type=module', '-e', clients], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      await new Promise((resolve) => child.once('exit', resolve));
      console.log(`200 POSTs of 2 MB at once: ${out.trim()}`);
      expect(JSON.parse(out)).toEqual({ 413: 200 });
    } finally {
      await a.close();
    }
  });

  it('rejects unknown JSON fields with 422 naming them, on create and on both updates alike', async () => {
    const a = await app();
    const created = await a.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker: 'UNK' }) });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as number;
    const cases = [
      { method: 'POST' as const, url: '/api/v1/market-data', payload: { ...bar({ date: '2024-01-16' }), adj_close: 1, id: 7 } },
      { method: 'PUT' as const, url: `/api/v1/market-data/${id}`, payload: { volume: 5, adj_close: 1, id: 7 } },
      { method: 'PATCH' as const, url: `/api/v1/market-data/${id}`, payload: { volume: 5, adj_close: 1, id: 7 } },
    ];
    for (const c of cases) {
      const res = await a.inject(c);
      expect(res.statusCode, c.method).toBe(422);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.json().errors).toEqual(expect.arrayContaining([
        { field: 'adj_close', message: 'is not a known field' }, { field: 'id', message: 'is not a known field' },
      ]));
    }
    expect((await a.inject(`/api/v1/market-data/${id}`)).json().volume).toBe(1_000_000); // nothing changed
  });

  it('answers 503 problem+json when a request takes longer than REQUEST_TIMEOUT_MS', async () => {
    const a = await app({ REQUEST_TIMEOUT_MS: '300' });
    // PGlite runs one transaction at a time: a long one holds every other query back.
    let release!: () => void;
    const held = t.db.transaction(() => new Promise<void>((r) => { release = r; }));
    try {
      const started = Date.now();
      const res = await a.inject('/api/v1/market-data');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toMatchObject({ status: 503, detail: expect.stringContaining('too long') });
    } finally {
      release();
      await held;
    }
    expect((await a.inject('/api/v1/market-data')).statusCode).toBe(200);
  });

  it('exempts the synchronous ETL trigger from the request timeout', async () => {
    const fake = await startFakeAlphaVantage({ key: 'fake-key-123', tier: 'premium', symbols: { SLOW: { delayMs: 700, then: { synthetic: 5 } } } });
    try {
      const a = await app({
        REQUEST_TIMEOUT_MS: '300', ALPHA_VANTAGE_API_KEY: 'fake-key-123', ALPHA_VANTAGE_BASE_URL: fake.url,
        ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '1000', ALPHA_VANTAGE_REQUESTS_PER_DAY: '1000', ETL_DATASETS: 'daily',
      });
      const res = await a.inject({ method: 'POST', url: '/api/v1/etl/run?tickers=SLOW' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ successful: 1, details: [{ ticker: 'SLOW', status: 'success', inserted: 5 }] });
    } finally {
      await fake.close();
    }
  });

  it('bounds slow clients: unfinished headers or body get 408 problem+json, the socket closed', async () => {
    const config = testConfig({ REQUEST_TIMEOUT_MS: '400' });
    const a = await appWithEtl({ config, db: t.db, logger: captureLogger(config).logger });
    await a.listen({ host: '127.0.0.1', port: 0 });
    const port = (a.server.address() as AddressInfo).port;
    const send = async (text: string) => {
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (d) => { answer += d; });
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      const started = Date.now();
      socket.write(text);
      await Promise.race([closed, sleep(3000)]);
      socket.destroy();
      const start = answer.indexOf('\r\n\r\n') + 4;
      const length = Number(/content-length: (\d+)/i.exec(answer)?.[1] ?? 0);
      return { answer, ms: Date.now() - started, body: JSON.parse(answer.slice(start, start + length) || 'null') };
    };
    try {
      // A slow-loris client: headers that never end.
      const headers = await send('GET /api/v1/market-data HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n');
      expect(headers.ms).toBeLessThan(2000);
      expect(headers.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(headers.answer).toMatch(/content-type: application\/problem\+json/i);
      expect(headers.body).toMatchObject({ status: 408, title: 'Request Timeout' });
      // A body promised and never sent: the client is slow, not the service.
      const body = await send('POST /api/v1/market-data HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"tick');
      expect(body.ms).toBeLessThan(2000);
      expect(body.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(body.body).toMatchObject({ status: 408, title: 'Request Timeout' });
    } finally {
      await a.close();
    }
  });
});

describe.runIf(SERVER_URL)('statement timeout on the PostgreSQL server', () => {
  let t: TestDatabase;
  beforeAll(async () => { t = await openTestDatabase('postgres'); });
  afterAll(async () => { await t?.drop(); });

  it('cuts a stuck query at DATABASE_STATEMENT_TIMEOUT_MS and answers 503, then serves again', async () => {
    const config = testConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '300', REQUEST_TIMEOUT_MS: '0' });
    const db = await openPostgres({ url: t.url!, poolSize: 4, statementTimeoutMs: config.databaseStatementTimeoutMs });
    const a = await appWithEtl({ config, db, logger: captureLogger(config).logger });
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    try {
      // Another session holds the table: every read of it waits for the lock.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE market_data IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const res = await a.inject('/api/v1/market-data');
      const took = Date.now() - started;
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.json()).toMatchObject({ status: 503, detail: 'the database is busy; retry shortly' });
      expect(took).toBeGreaterThanOrEqual(250);
      expect(took).toBeLessThan(3000);
      await blocker.query('ROLLBACK');
      expect((await a.inject('/api/v1/market-data')).statusCode).toBe(200);
      const { rows } = await blocker.query<{ t: string }>(
        `SELECT setting AS t FROM pg_settings WHERE name = 'statement_timeout'`);
      expect(rows[0]!.t).toBe('0'); // only the service's own sessions carry the timeout
      await sleep(0);
    } finally {
      await blocker.end();
      await a.close();
      await db.close();
    }
  });
});
