// Whole ETL runs of the daily dataset against the fake Alpha Vantage (premium tier: the whole
// history when asked), on PGlite and on the PostgreSQL server: what is loaded, what a second run
// changes, every failure case, the daily budget, and the key's secrecy. The other datasets, the
// free tier's refusals and the planner's budget are in acquisition.test.ts.
import { Big } from 'big.js';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createEtl, type Etl } from '../../src/etl/index.ts';
import type { RunDetail, TickerResult } from '../../src/db/repositories/etl-runs.ts';
import { syntheticBars, type SeriesBar } from '../fixtures/alpha-vantage.ts';
import { captureLogger, testConfig } from '../helpers/app.ts';
import { DATABASE_KINDS } from '../helpers/databases.ts';
import { expectKeyNotLogged, useEtlFixture } from '../helpers/etl-fixture.ts';
import type { FakeAlphaVantage } from '../helpers/fake-alpha-vantage.ts';

const KEY = 'AVKEY-pipeline-0123456789';
const NOW = new Date('2025-01-02T12:00:00Z'); // a Thursday, 07:00 in New York
const FAST_RETRY = { retries: 2, minDelayMs: 5, maxDelayMs: 20, rateLimitWaitMaxMs: 30 };
/** Every line any logger of this file wrote; checked for the key at the end. */
const logSources: string[][] = [];

interface StoredRow { ticker: string; date: string; open: string; high: string; low: string; close: string; volume: number; updated_at: string }

describe.each(DATABASE_KINDS)('ETL runs on %s', (kind) => {
  const ctx = useEtlFixture(kind, { key: KEY, tier: 'premium' }, ['market_data', 'etl_runs', 'etl_run_tickers', 'source_usage', 'ticker_datasets', 'source_entitlements', 'etl_schedule']);

  function etl(env: Record<string, string> = {}, now = NOW): Etl & { lines: string[] } {
    const config = testConfig({
      LOG_LEVEL: 'debug', ALPHA_VANTAGE_BASE_URL: ctx.fake.url, ALPHA_VANTAGE_API_KEY: KEY, ETL_DATASETS: 'daily',
      ALPHA_VANTAGE_MIN_INTERVAL_MS: '0', ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '10000', ALPHA_VANTAGE_REQUESTS_PER_DAY: '10000', ...env,
    });
    const { logger, lines } = captureLogger(config);
    const parts = createEtl(config, ctx.t.db, logger, { retry: FAST_RETRY, timeoutMs: 300, now: () => now });
    logSources.push(lines);
    return { ...parts, lines };
  }

  async function stored(ticker: string): Promise<StoredRow[]> {
    const { rows } = await ctx.t.db.query<StoredRow>(
      'SELECT ticker, date, open, high, low, close, volume, updated_at FROM market_data WHERE ticker = $1 ORDER BY date', [ticker]);
    return rows;
  }

  function expectSameBars(rows: StoredRow[], ticker: string, served: SeriesBar[]): void {
    expect(rows.map((r) => r.date)).toEqual(served.map((b) => b.date));
    rows.forEach((r, i) => {
      const b = served[i]!;
      expect(r.ticker).toBe(ticker);
      for (const f of ['open', 'high', 'low', 'close'] as const) {
        expect(new Big(r[f]).eq(new Big(b[f])), `${ticker} ${r.date} ${f}: ${r[f]} vs ${b[f]}`).toBe(true);
      }
      expect(r.volume).toBe(Number(b.volume));
    });
  }

  const byTicker = (run: RunDetail) => Object.fromEntries(run.details.map((d) => [d.ticker, d]));

  it('loads exactly the served bars; a second run adds nothing and leaves unchanged rows alone', async () => {
    const aapl = syntheticBars('AAPL', 300);
    const msft = [
      { date: '2024-12-30', open: '430.0100', high: '431.5000', low: '425.1200', close: '426.7300', volume: '18123456' },
      { date: '2024-12-31', open: '426.0600', high: '426.7300', low: '419.3400', close: '421.5000', volume: '3000000000' },
    ];
    ctx.fake.set('AAPL', { data: aapl });
    ctx.fake.set('MSFT', { data: msft });
    const { runner } = etl();

    const first = await runner.run({ tickers: ['aapl', 'MSFT'], trigger: 'api' });
    expect(first).toMatchObject({ status: 'completed', total_tickers: 2, successful: 2, failed: 0, skipped: 0, total_loaded: 302 });
    expect(byTicker(first).AAPL).toMatchObject({ status: 'success', output_size: 'full', requests: 1, extracted: 300, transformed: 300, inserted: 300, updated: 0, unchanged: 0, rejected: 0 });
    expect(ctx.fake.requests.map((r) => [r.symbol, r.outputsize])).toEqual([['AAPL', 'full'], ['MSFT', 'full']]);
    expectSameBars(await stored('AAPL'), 'AAPL', aapl);
    expectSameBars(await stored('MSFT'), 'MSFT', msft);
    const before = [...await stored('AAPL'), ...await stored('MSFT')];

    // Nothing newer can exist yet: no request is spent.
    const second = await runner.run({ tickers: ['AAPL', 'MSFT'], trigger: 'api' });
    expect(second.details.map((d) => [d.status, d.requests])).toEqual([['no_new_data', 0], ['no_new_data', 0]]);
    expect(ctx.fake.requests).toHaveLength(2);

    // Forced, the same bars come again: every row is left as it was, updated_at included.
    const forced = await runner.run({ tickers: ['AAPL', 'MSFT'], trigger: 'api', force: true });
    expect(byTicker(forced).AAPL).toMatchObject({ status: 'no_new_data', inserted: 0, updated: 0, unchanged: 300, reason: 'no new or changed rows' });
    expect(forced.total_loaded).toBe(0);
    expect([...await stored('AAPL'), ...await stored('MSFT')]).toEqual(before);
    expect((await ctx.t.db.query<{ n: number }>('SELECT count(*) AS n FROM market_data')).rows[0]!.n).toBe(302);

    // One bar revised upstream: only that row changes, and only its updated_at advances.
    const revised = aapl.map((b, i) => (i === 10 ? { ...b, close: b.low, volume: '1' } : b));
    ctx.fake.set('AAPL', { data: revised });
    const third = await runner.run({ tickers: ['AAPL'], trigger: 'api', force: true });
    expect(byTicker(third).AAPL).toMatchObject({ status: 'success', inserted: 0, updated: 1, unchanged: 299 });
    const after = await stored('AAPL');
    expectSameBars(after, 'AAPL', revised);
    after.forEach((row, i) => {
      if (i === 10) expect(row.updated_at > before[i]!.updated_at).toBe(true);
      else expect(row.updated_at).toBe(before[i]!.updated_at);
    });
  });

  it('asks for compact when the newest bar is within 100 trading days, full otherwise', async () => {
    ctx.fake.set('AAPL', { synthetic: 400, end: '2024-12-31' });
    await etl().runner.run({ tickers: ['AAPL'], trigger: 'api' });
    ctx.fake.set('AAPL', { synthetic: 400, end: '2025-01-31' });
    const later = await etl({}, new Date('2025-02-01T12:00:00Z')).runner.run({ tickers: ['AAPL'], trigger: 'api' });
    expect(later.details[0]).toMatchObject({ status: 'success', output_size: 'compact', extracted: 100, inserted: 23, unchanged: 77 });
    await etl({}, new Date('2025-02-03T23:00:00Z')).runner.run({ tickers: ['AAPL'], trigger: 'api', incremental: false });
    ctx.fake.set('AAPL', { synthetic: 400, end: '2025-12-31' });
    await etl({}, new Date('2026-01-02T12:00:00Z')).runner.run({ tickers: ['AAPL'], trigger: 'api' });
    expect(ctx.fake.requests.map((r) => r.outputsize)).toEqual(['full', 'compact', 'full', 'full']);
  });

  it('rejects bad rows with their reasons and loads the rest', async () => {
    const good = syntheticBars('BAD', 5);
    ctx.fake.set('BAD', { data: [...good, { date: '2024-12-02', open: 'x', high: '1', low: '1', close: '1', volume: '1' }, { date: '2025-06-01', open: '1', high: '1', low: '1', close: '1', volume: '1' }] });
    const run = await etl().runner.run({ tickers: ['BAD'], trigger: 'api' });
    expect(run.details[0]).toMatchObject({
      status: 'success', extracted: 7, transformed: 5, inserted: 5, rejected: 2, reason: '2 row(s) rejected',
      // in the order served: newest first
      rejections: [{ date: '2025-06-01', reason: 'date must not be in the future' }, { date: '2024-12-02', reason: 'open is not a number' }],
    });
  });

  it('ends each failing ticker with a reason that names the failure; the others load and the API keeps answering', async () => {
    const cases: [string, Parameters<FakeAlphaVantage['set']>[1], RegExp, number][] = [
      ['BADSYM', { fail: 'invalid_symbol' }, /^invalid symbol: Invalid API call/, 1],
      ['NONE', { fail: 'empty' }, /^no data: empty response \{\}/, 1],
      ['BURST', { fail: 'burst_limit' }, /^burst limit .*: .*spreading out.*\(waited 0.0 s once\) \(gave up after 2 attempts\)$/, 2],
      ['MINUTE', { fail: 'minute_limit' }, /^per-minute limit: .*5 calls per minute.*\(waited 0.0 s once\) \(gave up after 2 attempts\)$/, 2],
      ['H500', { http: 500 }, /^HTTP error: HTTP 500 \(gave up after 3 attempts\)$/, 3],
      ['H404', { http: 404 }, /^HTTP error: HTTP 404$/, 1],
      ['HTML', { body: '<!DOCTYPE html><html><body>Service Unavailable</body></html>', contentType: 'text/html' }, /^malformed response: HTML instead of JSON/, 1],
      ['TRUNC', { body: '{"Meta Data":{"2. Symbol":"TRUNC"},"Time Series (Daily)":{"2024-12-31":{"1. open":"1' }, /^malformed response: not valid JSON/, 1],
      ['NOSERIES', { body: '{"Meta Data":{"2. Symbol":"NOSERIES"}}' }, /^unexpected response: no "Time Series \(Daily\)"/, 1],
      ['DROP', { drop: true }, /^network error: .*\(gave up after 3 attempts\)$/, 3],
      ['SLOW', { delayMs: 1500, then: { synthetic: 3 } }, /^timeout: no answer within 0.3 s \(gave up after 3 attempts\)$/, 3],
    ];
    ctx.fake.set('GOOD1', { synthetic: 50 });
    ctx.fake.set('GOOD2', { synthetic: 60 });
    ctx.fake.set('FLAKY', [{ http: 503 }, { drop: true }, { synthetic: 20 }]);
    for (const [symbol, behaviour] of cases) ctx.fake.set(symbol, behaviour);
    const tickers = ['GOOD1', ...cases.map((c) => c[0]), 'FLAKY', 'GOOD2'];

    const parts = etl();
    const config = testConfig({ ALPHA_VANTAGE_BASE_URL: ctx.fake.url, ALPHA_VANTAGE_API_KEY: KEY });
    const app = await buildApp({ config, db: ctx.t.db, logger: captureLogger(config).logger, etl: parts });
    try {
      const running = app.inject({ method: 'POST', url: `/api/v1/etl/run?datasets=daily&tickers=${tickers.join(',')}` });
      const statuses: number[] = [];
      let done = false;
      void running.then(() => { done = true; });
      while (!done) {
        const [health, list] = await Promise.all([app.inject('/api/v1/health'), app.inject('/api/v1/market-data?size=5')]);
        statuses.push(health.statusCode, list.statusCode);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(statuses.length).toBeGreaterThan(10);
      expect(new Set(statuses)).toEqual(new Set([200]));

      const res = await running;
      expect(res.statusCode).toBe(200);
      const body = res.json<RunDetail & { details: (TickerResult & { loaded: number })[] }>();
      expect(body).toMatchObject({ status: 'completed', total_tickers: tickers.length, successful: 3, failed: cases.length, skipped: 0, total_loaded: 130 });
      const details = byTicker(body);
      for (const [symbol, , reason, requests] of cases) {
        expect(details[symbol], symbol).toMatchObject({ status: 'failed', requests, loaded: 0 });
        expect(details[symbol]!.reason, symbol).toMatch(reason);
      }
      expect(details.FLAKY).toMatchObject({ status: 'success', requests: 3, loaded: 20 });
      expect(details.GOOD2).toMatchObject({ status: 'success', loaded: 60 });
      const { rows } = await ctx.t.db.query<{ ticker: string; n: number }>('SELECT ticker, count(*) AS n FROM market_data GROUP BY ticker ORDER BY ticker');
      expect(rows).toEqual([{ ticker: 'FLAKY', n: 20 }, { ticker: 'GOOD1', n: 50 }, { ticker: 'GOOD2', n: 60 }]);
    } finally {
      await app.close();
    }
  });

  it.each(['daily_limit', 'daily_limit_note', 'daily_limit_thanks'] as const)("stops asking at Alpha Vantage's daily cap (%s): the rest is deferred with that reason", async (body) => {
    ctx.fake.set('A', { synthetic: 10 });
    ctx.fake.set('CAP', { fail: body });
    const run = await etl().runner.run({ tickers: ['A', 'CAP', 'C', 'D'], trigger: 'schedule' });
    expect(run.details.map((d) => d.status)).toEqual(['success', 'deferred', 'deferred', 'deferred']);
    for (const d of run.details.slice(1)) expect(d.reason).toMatch(/^deferred: Alpha Vantage's daily limit: .*25 requests per day.*; due again from 2025-01-03 \(New York\)$/);
    expect(ctx.fake.requests.map((r) => r.symbol)).toEqual(['A', 'CAP']);
    expect(run).toMatchObject({ status: 'completed', deferred: 3, failed: 0 });
  });

  it('stops the run with one clear error when the key is refused', async () => {
    const parts = etl({ ALPHA_VANTAGE_API_KEY: 'not-the-right-key-42' });
    const run = await parts.runner.run({ tickers: ['A', 'B', 'C'], trigger: 'api' });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^alpha_vantage rejected the credentials: invalid API key: .* ALPHA_VANTAGE_API_KEY is invalid or missing: get a free key/);
    expect(run.details.map((d) => d.status)).toEqual(['failed', 'skipped', 'skipped']);
    expect(run.details[0]!.reason).toMatch(/^invalid API key: the parameter apikey is invalid or missing/);
    expect(run.details[1]!.reason).toBe('skipped: the run stopped because the source rejected the credentials');
    expect(ctx.fake.requests).toHaveLength(1);
    expect(parts.lines.filter((l) => l.includes('"level":"error"'))).toHaveLength(1);
    expect(parts.lines.join('')).not.toContain('not-the-right-key-42');
  });

  it('explains the demo key once, and still loads what the demo key may fetch', async () => {
    ctx.fake.set('IBM', { synthetic: 5 });
    const parts = etl({ ALPHA_VANTAGE_API_KEY: 'demo' });
    const run = await parts.runner.run({ tickers: ['AAPL', 'IBM', 'MSFT'], trigger: 'api' });
    expect(run.details.map((d) => d.status)).toEqual(['failed', 'success', 'failed']);
    expect(run.details[0]!.reason).toMatch(/^demo key refused: .* — get a free key in 20 seconds at https:\/\/www.alphavantage.co\/support\/#api-key/);
    expect(parts.lines.filter((l) => l.includes('the \\"demo\\" key only serves'))).toHaveLength(1);
  });

  it('with a daily budget of 3, a 5-ticker run makes 3 requests and defers 2; a restart does not reset the count', async () => {
    for (const s of ['A', 'B', 'C', 'D', 'E']) ctx.fake.set(s, { synthetic: 5 });
    const run = await etl({ ALPHA_VANTAGE_REQUESTS_PER_DAY: '3' }).runner.run({ tickers: ['A', 'B', 'C', 'D', 'E'], trigger: 'schedule' });
    expect(ctx.fake.requests).toHaveLength(3);
    expect(run.details.map((d) => d.status)).toEqual(['success', 'success', 'success', 'deferred', 'deferred']);
    for (const d of run.details.slice(3)) expect(d.reason).toMatch(/^deferred: the daily request budget of alpha_vantage \(3 per New York day\) is used up for today; due again from 2025-01-03/);

    // A fresh ETL (what a restarted process builds) on the same database: the budget is spent.
    const restarted = etl({ ALPHA_VANTAGE_REQUESTS_PER_DAY: '3' });
    expect(await restarted.limiter.remainingToday()).toBe(0);
    const again = await restarted.runner.run({ tickers: ['D', 'E'], trigger: 'schedule', force: true });
    expect(again.details.map((d) => d.status)).toEqual(['deferred', 'deferred']);
    expect(ctx.fake.requests).toHaveLength(3);
  });

  it('never sends two requests within 1 s at the default spacing', async () => {
    for (const s of ['S1', 'S2', 'S3', 'S4']) ctx.fake.set(s, { synthetic: 5 });
    ctx.fake.set('S2', [{ http: 502 }, { synthetic: 5 }]); // a retry goes through the limiter too
    const { runner } = etl({ ALPHA_VANTAGE_MIN_INTERVAL_MS: '1000', ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '60' });
    const run = await runner.run({ tickers: ['S1', 'S2', 'S3', 'S4'], trigger: 'api' });
    expect(run.successful).toBe(4);
    const times = ctx.fake.requests.map((r) => r.at);
    expect(times).toHaveLength(5);
    const gaps = times.slice(1).map((at, i) => at - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
  });

  it('records each run and ticker in the history, readable through the API', async () => {
    ctx.fake.set('AAPL', { synthetic: 10 });
    const parts = etl();
    const config = testConfig({ ALPHA_VANTAGE_BASE_URL: ctx.fake.url, ALPHA_VANTAGE_API_KEY: KEY });
    const app = await buildApp({ config, db: ctx.t.db, logger: captureLogger(config).logger, etl: parts });
    try {
      const run = (await app.inject({ method: 'POST', url: '/api/v1/etl/run?tickers=AAPL&tickers=NOPE&datasets=daily' })).json<RunDetail>();
      await parts.runner.run({ tickers: ['AAPL'], trigger: 'cli' });
      const list = (await app.inject('/api/v1/etl/runs?size=1')).json();
      expect(list).toMatchObject({ total: 2, page: 1, size: 1, pages: 2, items: [{ run_id: run.run_id + 1, trigger: 'cli', status: 'completed' }] });
      const one = (await app.inject(`/api/v1/etl/runs/${run.run_id}`)).json();
      expect(one).toMatchObject({
        run_id: run.run_id, trigger: 'api', status: 'completed', tickers: ['AAPL', 'NOPE'], total_tickers: 2, successful: 1, failed: 1, total_loaded: 10,
        details: [
          { ticker: 'AAPL', status: 'success', extracted: 10, transformed: 10, loaded: 10, inserted: 10, rejected: 0, reason: null },
          { ticker: 'NOPE', status: 'failed', loaded: 0, reason: expect.stringMatching(/^invalid symbol/) },
        ],
      });
      expect((await app.inject('/api/v1/etl/runs/999999')).statusCode).toBe(404);
      const status = (await app.inject('/api/v1/etl/status')).json();
      expect(status).toMatchObject({ running: false, current_run_id: null, budget: { requests_per_day: 25, remaining_today: expect.any(Number) } });
    } finally {
      await app.close();
    }
  });

  it('answers 409 to a second run while one is going', async () => {
    ctx.fake.set('SLOWOK', { delayMs: 200, then: { synthetic: 5 } });
    const { runner } = etl();
    const first = runner.run({ tickers: ['SLOWOK'], trigger: 'api' });
    await expect(runner.run({ tickers: ['SLOWOK'], trigger: 'api' })).rejects.toThrow('an ETL run is already in progress');
    expect((await first).status).toBe('completed');
  });

  it('stop() abandons a run whoever started it, and refuses new ones (what SIGTERM does)', async () => {
    ctx.fake.set('FIRST', { synthetic: 5 });
    ctx.fake.set('HANGS', { delayMs: 5000, then: { synthetic: 5 } });
    const parts = etl({}, NOW);
    const running = parts.runner.run({ tickers: ['FIRST', 'HANGS', 'LAST'], trigger: 'api' });
    while (ctx.fake.requests.length < 2) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await parts.runner.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    const run = await running;
    expect(run.status).toBe('aborted');
    expect(run.details.map((d) => d.status)).toEqual(['success', 'skipped', 'skipped']);
    await expect(parts.runner.run({ tickers: ['FIRST'], trigger: 'api' })).rejects.toThrow('the ETL is stopped');
  });

  it('keeps the key out of reasons, errors and responses, even when the upstream echoes it', async () => {
    ctx.fake.set('ECHO1', { body: `<html>upstream error for GET /query?function=TIME_SERIES_DAILY&apikey=${KEY}</html>`, status: 502, contentType: 'text/html' });
    ctx.fake.set('ECHO2', { body: JSON.stringify({ Information: `Your key ${KEY} is not known here. Something new happened.` }) });
    const parts = etl();
    const config = testConfig({ ALPHA_VANTAGE_BASE_URL: ctx.fake.url, ALPHA_VANTAGE_API_KEY: KEY });
    const app = await buildApp({ config, db: ctx.t.db, logger: captureLogger(config).logger, etl: parts });
    try {
      const res = await app.inject({ method: 'POST', url: '/api/v1/etl/run?tickers=ECHO1,ECHO2&datasets=daily' });
      expect(res.json<RunDetail>().failed).toBe(2);
      const { rows } = await ctx.t.db.query<{ reason: string }>('SELECT reason FROM etl_run_tickers');
      expect(rows.map((r) => r.reason).join(' ')).toContain('[REDACTED]');
      for (const text of [res.body, JSON.stringify(rows), (await app.inject('/api/v1/etl/runs')).body]) expect(text).not.toContain(KEY);
    } finally {
      await app.close();
    }
  });
});

afterAll(() => {
  // The key given to the service appears nowhere in its log output.
  expectKeyNotLogged(logSources, KEY);
});
