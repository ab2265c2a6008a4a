// OpenAPI, /docs and /redoc served locally; the API key on writes; request ids and log hygiene.
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bar, testApp } from '../../helpers/app.ts';
import { openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

const KEY = 'test-api-key-0123456789';

describe('API documentation and access', () => {
  let t: TestDatabase;
  let app: Awaited<ReturnType<typeof testApp>>;
  let locked: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    app = await testApp(t.db, { LOG_LEVEL: 'info' });
    locked = await testApp(t.db, { API_KEY: KEY, LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    await app?.close();
    await locked?.close();
    await t?.drop();
  });

  describe('OpenAPI', () => {
    it('serves a valid OpenAPI 3.1 document generated from the routes', async () => {
      const res = await app.inject('/openapi.json');
      expect(res.statusCode).toBe(200);
      const spec = res.json();
      expect(spec.openapi).toBe('3.1.0');
      await expect(SwaggerParser.validate(structuredClone(spec))).resolves.toBeTruthy();
      expect(Object.keys(spec.paths).sort()).toEqual([
        '/api/v1/etl/plan', '/api/v1/etl/run', '/api/v1/etl/runs', '/api/v1/etl/runs/{run_id}', '/api/v1/etl/status',
        '/api/v1/health', '/api/v1/health/live', '/api/v1/health/ready', '/api/v1/market-data', '/api/v1/market-data/export', '/api/v1/market-data/{id}',
        '/api/v1/quality', '/api/v1/quality/{ticker}',
        '/api/v1/ticker-summaries', '/api/v1/tickers', '/api/v1/tickers/{ticker}', '/api/v1/tickers/{ticker}/corporate-actions',
      ]);
      expect(Object.keys(spec.paths['/api/v1/market-data/{id}']).sort()).toEqual(['delete', 'get', 'patch', 'put']);
      const list = spec.paths['/api/v1/market-data'].get;
      expect(list.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['adjustment', 'cursor', 'end_date', 'interval', 'order', 'page', 'size', 'start_date', 'ticker']);
      expect(list.responses['422'].content['application/problem+json']).toBeDefined();
    });

    it('declares the API key on writes only when one is configured', async () => {
      const open = (await app.inject('/openapi.json')).json();
      expect(open.paths['/api/v1/market-data'].post.security).toBeUndefined();
      const spec = (await locked.inject('/openapi.json')).json();
      expect(spec.paths['/api/v1/market-data'].post.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
      expect(spec.paths['/api/v1/market-data/{id}'].delete.security).toBeDefined();
      expect(spec.paths['/api/v1/etl/run'].post.security).toBeDefined();
      expect(spec.paths['/api/v1/market-data'].get.security).toBeUndefined();
      await expect(SwaggerParser.validate(spec)).resolves.toBeTruthy();
    });
  });

  /** Every src/href of a page: each must be served by this app, none may name another host. */
  async function expectSelfContained(path: string): Promise<string> {
    const res = await app.inject(path);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    const refs = [...res.body.matchAll(/\b(?:src|href)=["']([^"']+)["']/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref, `${path} references ${ref}`).not.toMatch(/^(https?:)?\/\//);
      const url = new URL(ref, `http://localhost${path.endsWith('/') ? path : `${path}/`}`).pathname;
      const asset = await app.inject(url);
      expect(asset.statusCode, `${url} from ${path}`).toBe(200);
    }
    return res.body;
  }

  it('serves Swagger UI with every asset from this service', async () => {
    const html = await expectSelfContained('/docs/');
    expect(html).toContain('swagger-ui');
    const init = await app.inject('/docs/static/swagger-initializer.js');
    const code = init.body.replace(/\/\/ .*$/gm, ''); // comments are not requests
    expect(code).not.toMatch(/https?:\/\//);
    expect(init.body).toContain('validatorUrl: null');
  });

  it('serves ReDoc with every asset from this service', async () => {
    const html = await expectSelfContained('/redoc');
    expect(html).toContain('spec-url="/openapi.json"');
    const bundle = await app.inject('/redoc/redoc.standalone.js');
    expect(bundle.body.length).toBeGreaterThan(500_000);
  });

  describe('API key', () => {
    const payload = bar({ ticker: 'KEYS' });
    it.each([
      ['no key', {}],
      ['a wrong X-API-Key', { 'x-api-key': 'wrong-key-0123456789' }],
      ['a wrong bearer token', { authorization: 'Bearer nope' }],
      ['a key of another length', { 'x-api-key': KEY.slice(0, -1) }],
      ['Basic auth', { authorization: `Basic ${Buffer.from(`x:${KEY}`).toString('base64')}` }],
    ])('refuses a write with %s: 401', async (_name, headers) => {
      const res = await locked.inject({ method: 'POST', url: '/api/v1/market-data', payload, headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(res.body).not.toContain(KEY);
    });

    it('accepts X-API-Key and Authorization: Bearer on every write method', async () => {
      const created = await locked.inject({ method: 'POST', url: '/api/v1/market-data', payload, headers: { 'x-api-key': KEY } });
      expect(created.statusCode).toBe(201);
      const id = created.json().id;
      for (const method of ['PUT', 'PATCH'] as const) {
        expect((await locked.inject({ method, url: `/api/v1/market-data/${id}`, payload: { volume: 9 } })).statusCode).toBe(401);
        expect((await locked.inject({ method, url: `/api/v1/market-data/${id}`, payload: { volume: 9 }, headers: { authorization: `Bearer ${KEY}` } })).statusCode).toBe(200);
      }
      expect((await locked.inject({ method: 'DELETE', url: `/api/v1/market-data/${id}` })).statusCode).toBe(401);
      expect((await locked.inject({ method: 'DELETE', url: `/api/v1/market-data/${id}`, headers: { authorization: `bearer ${KEY}` } })).statusCode).toBe(204);
    });

    it('leaves reads open', async () => {
      for (const url of ['/api/v1/market-data', '/api/v1/tickers', '/api/v1/health', '/openapi.json']) {
        expect((await locked.inject(url)).statusCode, url).toBe(200);
      }
    });

    it('leaves writes open when no key is configured', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker: 'OPEN' }) });
      expect(res.statusCode).toBe(201);
    });

    it('never writes the key or the Authorization header to the log', () => {
      const log = locked.logLines.join('');
      expect(log.length).toBeGreaterThan(0);
      expect(log).not.toContain(KEY);
    });
  });

  describe('errors and logs', () => {
    it('answers unknown routes with problem+json 404', async () => {
      const res = await app.inject('/api/v1/nothing-here');
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
    });

    it('tags each request with an id, echoed in X-Request-Id and on its log lines', async () => {
      const res = await app.inject({ url: '/api/v1/tickers', headers: { 'x-request-id': 'trace-abc.123' } });
      expect(res.headers['x-request-id']).toBe('trace-abc.123');
      const line = app.logLines.map((l) => JSON.parse(l)).find((l) => l.request_id === 'trace-abc.123');
      expect(line).toMatchObject({ msg: 'request completed', method: 'GET', status: 200 });
      // A hostile id is replaced, not logged.
      const odd = await app.inject({ url: '/api/v1/tickers', headers: { 'x-request-id': 'x'.repeat(500) } });
      expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('logs record_id, ticker and date on writes', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker: 'CTX', date: '2024-03-01' }) });
      const line = app.logLines.map((l) => JSON.parse(l)).find((l) => l.msg === 'market data created' && l.ticker === 'CTX');
      expect(line).toMatchObject({ record_id: res.json().id, ticker: 'CTX', date: '2024-03-01', request_id: res.headers['x-request-id'] });
    });

    it('keeps internals out of 5xx bodies and puts them in the log', async () => {
      // A real internal failure: the table is missing for the duration of one request.
      await t.db.exec('ALTER TABLE market_data RENAME TO market_data_hidden');
      try {
        const res = await app.inject('/api/v1/market-data/1');
        expect(res.statusCode).toBe(500);
        expect(res.json()).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'internal server error' });
      } finally {
        await t.db.exec('ALTER TABLE market_data_hidden RENAME TO market_data');
      }
      const line = app.logLines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request failed');
      expect(line.err.message).toContain('relation "market_data" does not exist');
    });
  });
});
