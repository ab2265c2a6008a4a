// GET /metrics on a real app after real requests and a real ETL run against the fake Alpha
// Vantage: every documented metric moves by exactly what happened. And the log lines carry their
// context: request_id on every request's lines, run_id (and ticker, per ticker) on the ETL's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { createEtl } from '../src/etl/index.ts';
import { syntheticBars } from './fixtures/alpha-vantage.ts';
import { bar, captureLogger, testConfig } from './helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from './helpers/databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from './helpers/fake-alpha-vantage.ts';

const KEY = 'AVKEY-metrics-0123456789';
const NOW = new Date('2025-01-02T12:00:00Z');
const PER_DAY = 500;

/** Prometheus text → `name{sorted labels}` → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = m[2] ? [...m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}=${l[2]}`).sort().join(',') : '';
    out.set(`${m[1]}{${labels}}`, Number(m[3]));
  }
  return out;
}

describe.each(DATABASE_KINDS)('metrics and log context on %s', (kind) => {
  let t: TestDatabase;
  let fake: FakeAlphaVantage;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let lines: string[];

  beforeAll(async () => {
    [t, fake] = await Promise.all([openTestDatabase(kind), startFakeAlphaVantage({ key: KEY, tier: 'premium' })]);
    const bad = syntheticBars('REJ', 20, '2024-12-31');
    bad[3] = { ...bad[3]!, high: '1.0000', low: '2.0000' }; // high < low: rejected by the transformer
    fake.set('GOOD', { synthetic: 40, end: '2024-12-31' });
    fake.set('REJ', { data: bad });
    fake.set('FLAKY', [{ http: 503 }, { drop: true }, { synthetic: 10, end: '2024-12-31' }]);
    const config = testConfig({
      LOG_LEVEL: 'debug', ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0',
      ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '10000', ALPHA_VANTAGE_REQUESTS_PER_DAY: String(PER_DAY), ETL_DATASETS: 'daily',
    });
    const captured = captureLogger(config);
    lines = captured.lines;
    const etl = createEtl(config, t.db, captured.logger, { retry: { retries: 3, minDelayMs: 5, maxDelayMs: 20, rateLimitWaitMaxMs: 5 }, now: () => NOW });
    app = await buildApp({ config, db: t.db, logger: captured.logger, etl });
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await t?.drop();
  });

  const scrape = async () => {
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: res.body, values: parse(res.body) };
  };

  it('counts requests by route pattern and status, and the ETL by run, ticker, row and upstream outcome', async () => {
    const before = (await scrape()).values;
    const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    /** Each series moved by exactly the given amount (all compared at once, named in a failure). */
    const expectDeltas = (expected: Record<string, number>) =>
      expect(Object.fromEntries(Object.keys(expected).map((key) => [key, delta(key)]))).toEqual(expected);

    // Requests: the same route with different ids must share one series.
    for (let i = 0; i < 3; i++) expect((await app.inject('/api/v1/market-data?size=5')).statusCode).toBe(200);
    for (const id of [123456, 7654321]) expect((await app.inject(`/api/v1/market-data/${id}`)).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker: 'MANUAL' }) })).statusCode).toBe(201);
    expect((await app.inject('/no/such/path/42')).statusCode).toBe(404);

    // Two runs: everything new, then (forced: the data is up to date) everything unchanged.
    // NOPE is refused as an invalid symbol.
    const first = await app.inject({ method: 'POST', url: '/api/v1/etl/run?tickers=GOOD,REJ,FLAKY,NOPE' });
    expect(first.statusCode).toBe(200);
    const run1 = first.json() as { details: { ticker: string; status: string; inserted: number; rejected: number; requests: number }[] };
    expect(run1.details.map((d) => d.status)).toEqual(['success', 'success', 'success', 'failed']);
    const second = await app.inject({ method: 'POST', url: '/api/v1/etl/run?tickers=GOOD,REJ&force=true', headers: { 'x-request-id': 'second-run' } });
    expect(second.json().details.map((d: { status: string }) => d.status)).toEqual(['no_new_data', 'no_new_data']);

    const { text, values: after } = await scrape();
    // No raw URL, id or query string ever becomes a label value.
    expect(text).not.toMatch(/123456|7654321|size=5|no\/such/);
    expectDeltas({
      'http_requests_total{method=GET,route=/api/v1/market-data,status=200}': 3,
      'http_requests_total{method=GET,route=/api/v1/market-data/:id,status=404}': 2,
      'http_requests_total{method=POST,route=/api/v1/market-data,status=201}': 1,
      'http_requests_total{method=GET,route=unmatched,status=404}': 1,
      'http_requests_total{method=POST,route=/api/v1/etl/run,status=200}': 2,
      'http_request_duration_seconds_count{method=GET,route=/api/v1/market-data,status=200}': 3,
      'http_request_duration_seconds_bucket{le=+Inf,method=GET,route=/api/v1/market-data/:id,status=404}': 2,
    });
    expect(delta('http_request_duration_seconds_sum{method=POST,route=/api/v1/etl/run,status=200}')).toBeGreaterThan(0);

    expectDeltas({
      'etl_runs_total{status=completed,trigger=api}': 2,
      'etl_run_duration_seconds_count{trigger=api}': 2,
      'etl_tickers_total{status=success}': 3,
      'etl_tickers_total{status=failed}': 1,
      'etl_tickers_total{status=no_new_data}': 2,
      'etl_rows_total{outcome=inserted}': 40 + 19 + 10,
      'etl_rows_total{outcome=rejected}': 2, // the bad row, once per run
      'etl_rows_total{outcome=unchanged}': 40 + 19,
      'etl_rows_total{outcome=updated}': 0,
    });
    // Every request the fake saw, by how it was classified: FLAKY needed three (503, dropped, data).
    expect(fake.requests).toHaveLength(8);
    expectDeltas({
      'etl_source_requests_total{outcome=data,source=alpha_vantage}': 5,
      'etl_source_requests_total{outcome=transient,source=alpha_vantage}': 2, // the 503 and the dropped connection
      'etl_source_requests_total{outcome=not_found,source=alpha_vantage}': 1,
    });
    // The budget gauge is read from the database at scrape time (it is shared between processes).
    const { rows } = await t.db.query<{ used: number }>(`SELECT coalesce(sum(requests), 0)::int AS used FROM source_usage WHERE source = 'alpha_vantage'`);
    expect(rows[0]!.used).toBe(8);
    expect(after.get('etl_source_budget_remaining{}')).toBe(PER_DAY - 8);
    // Process metrics come along.
    expect(after.get('process_resident_memory_bytes{}')).toBeGreaterThan(0);
    expect(after.has('nodejs_eventloop_lag_p99_seconds{}')).toBe(true);

    // Both databases are reached through a pool (the embedded one's worker too): 5 connections in
    // the server's test pool, 10 in the embedded one's; nothing is waiting between requests.
    expect(after.get('db_pool_connections{state=total}')).toBeGreaterThanOrEqual(1);
    expect(after.get('db_pool_connections{state=total}')).toBeLessThanOrEqual(10);
    expect(after.get('db_pool_connections{state=idle}')).toBeLessThanOrEqual(after.get('db_pool_connections{state=total}')!);
    expect(after.get('db_pool_connections{state=waiting}')).toBe(0);
  });

  it('puts request_id on every request line and run_id (and ticker, per ticker) on every ETL line', () => {
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const etlLines = parsed.filter((l) => l.run_id !== undefined);
    const requestLines = parsed.filter((l) => l.request_id !== undefined);
    expect(etlLines.length).toBeGreaterThan(10);
    expect(requestLines.filter((l) => l.msg === 'request completed').length).toBeGreaterThan(10);
    // Nothing is logged outside a request or a run (the scheduler is off in this app).
    expect(parsed.filter((l) => l.run_id === undefined && l.request_id === undefined)).toEqual([]);
    const RUN_LEVEL = new Set(['etl run started', 'etl run finished', 'etl run failed']);
    for (const line of etlLines) {
      expect(typeof line.run_id, line.msg as string).toBe('number');
      if (RUN_LEVEL.has(line.msg as string)) continue;
      expect(line.ticker, `${line.msg}: ${JSON.stringify(line)}`).toEqual(expect.stringMatching(/^[A-Z]+$/));
    }
    expect(etlLines.filter((l) => l.msg === 'etl run started').every((l) => Array.isArray(l.tickers))).toBe(true);
    expect(new Set(etlLines.filter((l) => l.ticker).map((l) => l.msg))).toEqual(new Set(['batch loaded', 'ticker success', 'ticker failed', 'ticker no_new_data']));
    // A caller's own request id is kept and logged.
    expect(requestLines.some((l) => l.request_id === 'second-run' && l.msg === 'request completed')).toBe(true);
    expect(lines.join('\n')).not.toContain(KEY);
  });
});
