// Hostile input, property-based: every operation of the service's own /openapi.json is driven
// with valid, boundary and malformed values (wrong types, huge numbers, NaN/Infinity, 10 kB
// strings, unicode, SQL, impossible dates, bad cursors, bad JSON, wrong content types). The
// service must never answer 5xx, and every 4xx must be problem+json; a 422 names each bad field.
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bar, testApp } from '../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from '../helpers/fake-alpha-vantage.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface Schema {
  type?: string | string[]; enum?: string[]; minimum?: number; maximum?: number; pattern?: string;
  format?: string; items?: Schema; properties?: Record<string, Schema>; required?: string[]; 'x-price'?: boolean;
}
interface Param { in: 'query' | 'path'; name: string; schema: Schema }
interface Operation { method: Method; path: string; params: Param[]; body?: Schema }
interface Req { method: Method; url: string; payload?: string | Buffer; headers: Record<string, string>; sentFields: string[] }

const KEY = 'fake-av-key-0123456789';
const PROBLEM = /^application\/problem\+json/;

// ---- values ----

const HOSTILE_TEXT = [
  '', ' ', '-1', '0', '-0', '1.5', '1e3', '1e309', '-1e309', '99999999999999999999999999', '9007199254740993', '0x10', '1_000',
  'NaN', 'Infinity', '-Infinity', 'null', 'undefined', 'true', '[]', '{}', '{"$gt":""}', "'; DROP TABLE market_data; --",
  "1' OR '1'='1", '2024-02-30', '2023-02-29', '2024-13-01', '2024-00-10', '0000-01-01', '9999-12-31', '1799-12-31', '2024-1-5',
  '20240115', '2024-01-15T00:00:00Z', '../../etc/passwd', '%00', '\u0000', '\u202e', 'AAPL\nX-Injected: 1', '株式会社', '📈📉',
  'ǅǆ', 'A'.repeat(10_000), 'A'.repeat(17), '<script>alert(1)</script>', '\\', '"', 'desc,asc', 'AAPL,,MSFT', ' ,', 'WyIyMDI0LTAxLTE1IiwiQUFQTCIsImRlc2MiLDJd',
  'eyJ4IjoxfQ', '!!!notbase64', Buffer.from(JSON.stringify(['2024-02-30', 'AAPL', 'desc', 2])).toString('base64url'),
  Buffer.from(JSON.stringify(['2024-01-15', 'A'.repeat(40), 'asc', 2])).toString('base64url'),
  Buffer.from(JSON.stringify(['2024-01-15', 'AAPL', 'desc', 1e300])).toString('base64url'),
];
const hostileText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
);

const MIN_DATE = Date.parse('1800-01-01');
const validDate = fc.integer({ min: MIN_DATE, max: Date.now() - 86_400_000 }).map((ms) => new Date(ms).toISOString().slice(0, 10));

function validText(schema: Schema, cursors: string[]): fc.Arbitrary<string> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.type === 'integer') {
    const min = schema.minimum ?? -1e9;
    const max = Math.min(schema.maximum ?? 1e9, Number.MAX_SAFE_INTEGER);
    return fc.oneof(fc.integer({ min, max: Math.min(max, 2 ** 31 - 1) }), fc.constantFrom(min, max, min + 1, max - 1)).map(String);
  }
  if (schema.type === 'boolean') return fc.constantFrom('true', 'false', 'TRUE', '1', '0');
  if (schema.format === 'date') return validDate;
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern), { maxLength: 60 });
  return cursors.length ? fc.constantFrom(...cursors) : fc.string(); // the cursor
}

const textFor = (schema: Schema, cursors: string[]) =>
  fc.oneof({ weight: 3, arbitrary: validText(schema, cursors) }, { weight: 2, arbitrary: hostileText });

/** A JSON value as raw text, so that literals JSON.stringify cannot make (1e400) can be sent. */
const HOSTILE_JSON = [
  '0', '-1', '-0', '1e400', '-1e400', '1e-400', '1.1234567', '123456789012345678901234567890', '9007199254740993', '1.5',
  '"abc"', '"1,5"', '" 150.00 "', '"NaN"', '"Infinity"', '"-Infinity"', '"0x1F"', '"1e2"', `"${'9'.repeat(400)}"`,
  'null', 'true', 'false', '[]', '[1]', '{}', '{"$gt":0}', '""', `"${'A'.repeat(10_000)}"`, '"\\u0000"', '"2024-02-30"',
  '"\'; DROP TABLE market_data; --"', '"株式"',
];
const hostileJson = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_JSON) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: hostileText.map((t) => JSON.stringify(t)) },
);
const priceJson = fc.oneof(
  fc.integer({ min: 1, max: 1_000_000 }).map(String),
  fc.integer({ min: 1, max: 99_999_999 }).map((n) => `${(n / 10_000).toFixed(4)}`),
  fc.integer({ min: 1, max: 99_999_999 }).map((n) => `"${(n / 100).toFixed(2)}"`),
);

function validJson(name: string, schema: Schema): fc.Arbitrary<string> {
  if (schema['x-price']) return priceJson;
  if (schema.type === 'integer') return fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 31, Number.MAX_SAFE_INTEGER)).map(String);
  if (name === 'date') return validDate.map((d) => JSON.stringify(d));
  return validText(schema, []).map((t) => JSON.stringify(t));
}

/** A body that passes every rule, so the success paths (and conflicts) are driven too. */
const coherentBar = fc.record({
  ticker: fc.stringMatching(/^[A-Za-z0-9.-]{1,16}$/), date: validDate,
  low: fc.integer({ min: 1, max: 1_000_000 }), spread: fc.nat(1000), volume: fc.nat(),
}).map((b) => ({
  raw: JSON.stringify({ ticker: b.ticker, date: b.date, open: b.low + b.spread / 2, high: b.low + b.spread, low: b.low, close: b.low, volume: b.volume }),
  fields: ['ticker', 'date', 'open', 'high', 'low', 'close', 'volume'],
}));

function bodyFor(schema: Schema, method: Method): fc.Arbitrary<{ raw: string; fields: string[] }> {
  const props = Object.entries(schema.properties ?? {});
  const fieldArbs = props.map(([name, s]) => fc.option(
    fc.oneof({ weight: 3, arbitrary: validJson(name, s) }, { weight: 1, arbitrary: hostileJson }).map((v) => [name, v] as const),
    { freq: 5 },
  ));
  const unknown = fc.option(fc.tuple(
    fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'adj_close', 'Ticker', 'volume '), fc.string({ minLength: 1, maxLength: 12 })),
    hostileJson,
  ), { freq: 4 });
  const shaped = fc.tuple(fc.tuple(...fieldArbs), unknown).map(([fields, extra]) => {
    const entries = [...fields.filter((f): f is readonly [string, string] => f !== null), ...(extra ? [extra] : [])];
    return { raw: `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`, fields: entries.map(([k]) => k) };
  });
  return method === 'POST' ? fc.oneof({ weight: 3, arbitrary: shaped }, { weight: 1, arbitrary: coherentBar }) : shaped;
}

const BAD_BODIES = [
  '', ' ', 'null', '[]', '"text"', '123', 'true', '{', '{"open":', '{"open":1}}', '{"open":1,}', "{'open':1}", '{open:1}',
  '\ufeff{"volume":1}', '[{"volume":1}]', `${'['.repeat(5000)}${']'.repeat(5000)}`, `{"a":${'{"a":'.repeat(3000)}1${'}'.repeat(3001)}`,
  '{"volume":1}\u0000', '{"__proto__":{"polluted":true},"volume":1}', '{"constructor":{"prototype":{"polluted":true}}}',
];
const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=latin1', 'application/json;',
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/problem+json',
  'application/vnd.api+json', 'application/xml', '*/*', 'garbage',
];

// ---- requests ----

function operationsOf(spec: { paths: Record<string, Record<string, {
  parameters?: Param[]; requestBody?: { content: Record<string, { schema: Schema }> };
}>> }): Operation[] {
  return Object.entries(spec.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({
    method: method.toUpperCase() as Method,
    path,
    params: op.parameters ?? [],
    body: op.requestBody?.content['application/json']?.schema,
  })));
}

function requestFor(op: Operation, cursors: string[]): fc.Arbitrary<Req> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const encode = (v: string) => fc.oneof({ weight: 9, arbitrary: fc.constant(encodeURIComponent(v)) }, { weight: 1, arbitrary: fc.constant(v.replace(/[\s#?/]/g, encodeURIComponent)) });
  const path = fc.tuple(...pathParams.map((p) => textFor(p.schema, cursors).chain(encode))).map((values) =>
    pathParams.reduce((url, p, i) => url.replace(`{${p.name}}`, values[i]!), op.path));
  const query = fc.tuple(
    fc.tuple(...queryParams.map((p) => fc.option(
      (p.schema.type === 'array' ? fc.array(textFor(p.schema.items!, cursors), { minLength: 1, maxLength: 3 }) : textFor(p.schema, cursors).map((v) => [v]))
        .chain((values) => fc.tuple(...values.map(encode)).map((encoded) => encoded.map((v) => `${p.name}=${v}`))),
      { freq: 2 },
    ))),
    fc.option(fc.constantFrom('unknown=1', 'page=1&page=2', 'size=', '&&', '=x', `ticker[]=AAPL`, 'order[$ne]=x'), { freq: 5 }),
  ).map(([params, extra]) => [...params.flat().filter((p): p is string => p !== null), ...(extra ? [extra] : [])].join('&'));
  const body = op.body
    ? fc.oneof(
      { weight: 6, arbitrary: bodyFor(op.body, op.method).map((b) => ({ ...b, type: 'application/json' })) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...BAD_BODIES), fc.constantFrom(...CONTENT_TYPES)).map(([raw, type]) => ({ raw, fields: [] as string[], type })) },
      { weight: 1, arbitrary: bodyFor(op.body, op.method).chain((b) => fc.constantFrom(...CONTENT_TYPES).map((type) => ({ ...b, type }))) },
    )
    : fc.constant(undefined);
  return fc.tuple(path, query, body).map(([p, q, b]): Req => ({
    method: op.method,
    url: q ? `${p}?${q}` : p,
    payload: b?.raw,
    headers: b ? { 'content-type': b.type } : {},
    sentFields: b?.fields ?? [],
  }));
}

/** The operation the router picks for a concrete path: a static path before a parametric one, as Fastify does. */
function operationAt(ops: Operation[], method: Method, path: string): Operation | undefined {
  const matching = ops.filter((o) => o.method === method && new RegExp(`^${o.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path));
  return matching.find((o) => o.path === path) ?? matching[0];
}

describe.each(DATABASE_KINDS)('hostile input on %s', (kind) => {
  let t: TestDatabase;
  let fake: FakeAlphaVantage;
  let app: Awaited<ReturnType<typeof testApp>>;
  const counts = { requests: 0, byStatus: {} as Record<number, number> };

  beforeAll(async () => {
    t = await openTestDatabase(kind);
    // Tickers the fake knows get a short series; every other ticker is refused as an invalid symbol.
    fake = await startFakeAlphaVantage({ key: KEY, tier: 'premium', symbols: { AAPL: { synthetic: 30 }, MSFT: { synthetic: 30 } } });
    app = await testApp(t.db, {
      ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0',
      ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '100000', ALPHA_VANTAGE_REQUESTS_PER_DAY: '100000000',
    });
    for (let i = 0; i < 30; i++) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker: ['AAPL', 'MSFT', 'BRK.B'][i % 3], date: `2024-01-${String(i + 1).padStart(2, '0')}` }) });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(async () => {
    console.info(`[hostile input] ${kind}: ${counts.requests} requests, statuses ${JSON.stringify(counts.byStatus)}`);
    await app?.close();
    await fake?.close();
    await t?.drop();
  });

  async function send(req: Req): Promise<LightMyRequestResponse> {
    counts.requests++;
    const res = await app.inject({ method: req.method, url: req.url, payload: req.payload, headers: req.headers });
    counts.byStatus[res.statusCode] = (counts.byStatus[res.statusCode] ?? 0) + 1;
    return res;
  }

  function check(op: Operation, req: Req, res: LightMyRequestResponse): void {
    const what = `${req.method} ${req.url.slice(0, 200)} ${String(req.payload ?? '').slice(0, 200)} [${req.headers['content-type'] ?? ''}] → ${res.statusCode} ${res.body.slice(0, 300)}`;
    expect(res.statusCode, what).toBeLessThan(500);
    if (res.statusCode < 400) return;
    expect(res.headers['content-type'], what).toMatch(PROBLEM);
    const body = res.json() as { type: string; title: string; status: number; detail: string; errors?: { field: string; message: string }[] };
    expect(body, what).toMatchObject({ type: expect.any(String), title: expect.any(String), status: res.statusCode, detail: expect.any(String) });
    if (res.statusCode === 422) {
      expect(body.errors?.length, what).toBeGreaterThan(0);
      const keysSent = [...String(req.payload ?? '').matchAll(/"((?:[^"\\]|\\.)*)"\s*:/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
      const known = new Set(['body', ...op.params.map((p) => p.name), ...Object.keys(op.body?.properties ?? {}), ...req.sentFields, ...keysSent]);
      for (const e of body.errors!) {
        expect(e.message, what).toEqual(expect.any(String));
        expect(known.has(e.field), `${what}: field "${e.field}"`).toBe(true);
      }
    }
  }

  it('answers every operation of its OpenAPI document without a 5xx, and every 4xx as problem+json naming the field', async () => {
    const spec = (await app.inject('/openapi.json')).json();
    const ops = operationsOf(spec);
    expect(ops.length).toBeGreaterThanOrEqual(15);
    // Real cursors, so the keyset path is driven as well as the refusals.
    const first = (await app.inject('/api/v1/market-data?size=2')).json() as { next_cursor: string };
    const asc = (await app.inject('/api/v1/market-data?size=2&order=asc&ticker=aapl')).json() as { next_cursor: string };
    const cursors = [first.next_cursor, asc.next_cursor];
    for (const op of ops) {
      const numRuns = op.path.endsWith('/etl/run') ? 25 : op.body ? 120 : 80;
      await fc.assert(fc.asyncProperty(requestFor(op, cursors), async (req) => check(op, req, await send(req))), { numRuns });
    }
  });

  it('answers malformed JSON, wrong content types and wrong methods on every path as problem+json', async () => {
    const spec = (await app.inject('/openapi.json')).json();
    const ops = operationsOf(spec);
    const paths = [...new Set(ops.map((o) => o.path.replace('{id}', '1').replace('{run_id}', '1').replace('{ticker}', 'AAPL')))];
    const methods: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
    for (const path of paths) {
      for (const method of methods) {
        const op = operationAt(ops, method, path);
        for (const raw of method === 'GET' || method === 'DELETE' ? [undefined] : BAD_BODIES) {
          for (const type of raw === undefined ? [undefined] : ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
            const req: Req = { method, url: path, payload: raw, headers: type ? { 'content-type': type } : {}, sentFields: [] };
            const res = await send(req);
            check(op ?? { method, path, params: [] }, req, res);
            // No such operation: 404, unless the body was refused first (Fastify reads it before routing fails).
            if (!op) expect([400, 404, 415], `${method} ${path}`).toContain(res.statusCode);
          }
        }
      }
    }
    // Undecodable URLs and bodies that are not UTF-8.
    for (const url of ['/api/v1/market-data/%E0%A4%A', '/api/v1/tickers/%', '/api/v1/market-data?ticker=%ZZ', '/api/v1/%00', `/api/v1/tickers/${'A'.repeat(10_000)}`]) {
      const req: Req = { method: 'GET', url, headers: {}, sentFields: [] };
      check(operationAt(ops, 'GET', url.split('?')[0]!) ?? { method: 'GET', path: url, params: [] }, req, await send(req));
    }
    const latin1: Req = { method: 'POST', url: '/api/v1/market-data', payload: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), headers: { 'content-type': 'application/json' }, sentFields: [] };
    check(ops.find((o) => o.method === 'POST' && o.path === '/api/v1/market-data')!, latin1, await send(latin1));
  });

  it('still holds only valid rows afterwards', async () => {
    const { rows } = await t.db.query<{ bad: number }>(
      `SELECT count(*)::int AS bad FROM market_data WHERE ticker !~ '^[A-Z0-9.-]{1,16}$' OR low > least(open, close) OR high < greatest(open, close) OR volume < 0`);
    expect(rows[0]!.bad).toBe(0);
    expect(fake.requests.every((r) => /^[A-Z0-9.-]{1,16}$/.test(r.symbol))).toBe(true);
  });
});
