// Acquisition as a real key sees it in 2026, against the fake Alpha Vantage, on every database:
// a free key fills a new ticker with what it may fetch (newest 100 daily bars, the whole weekly and
// monthly history, splits and dividends) and learns what it is refused; a premium key gets the whole
// daily history in one request; a small budget defers work to the next New York days as the plan
// said; rate limits never hold a run long; async runs show their progress.
import { Big } from 'big.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { RunDetail } from '../../src/db/repositories/etl-runs.ts';
import { createEtl, type Etl } from '../../src/etl/index.ts';
import type { Clock } from '../../src/etl/rate-limiter.ts';
import { aggregateBars, syntheticBars, syntheticDividends, type DividendRow, type SeriesBar } from '../fixtures/alpha-vantage.ts';
import { captureLogger, testConfig } from '../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { expectKeyNotLogged } from '../helpers/etl-fixture.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from '../helpers/fake-alpha-vantage.ts';

const KEY = 'AVKEY-acquisition-0123456789';
const FAST_RETRY = { retries: 2, minDelayMs: 5, maxDelayMs: 20, rateLimitWaitMaxMs: 65_000 };
/** Friday 2025-01-03, 20:00 in New York: that day's bar is published. */
const FRIDAY_EVENING = '2025-01-04T01:00:00Z';
const logSources: string[][] = [];

/** Simulated time: sleeps (rate-limit waits, spacing) advance it at once. */
function simulatedClock(iso: string): Clock & { t: number; slept: number } {
  const clock = {
    t: Date.parse(iso), slept: 0,
    now: () => clock.t,
    sleep: async (ms: number) => { clock.t += ms; clock.slept += ms; },
  };
  return clock;
}

const SPLITS = [{ effective_date: '2024-06-10', split_factor: '4.0000' }, { effective_date: '2020-08-31', split_factor: '0.5000' }];
const DIVIDENDS: DividendRow[] = [
  { ex_dividend_date: '2024-11-08', declaration_date: '2024-10-31', record_date: '2024-11-11', payment_date: '2024-11-14', amount: '0.25' },
  { ex_dividend_date: '2015-02-05', declaration_date: 'None', record_date: 'None', payment_date: 'None', amount: '0.4' },
];

describe.each(DATABASE_KINDS)('acquisition on %s', (kind) => {
  let t: TestDatabase;
  let free: FakeAlphaVantage;
  let premium: FakeAlphaVantage;

  beforeAll(async () => {
    [t, free, premium] = await Promise.all([
      openTestDatabase(kind),
      startFakeAlphaVantage({ key: KEY, tier: 'free' }),
      startFakeAlphaVantage({ key: KEY, tier: 'premium' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([free?.close(), premium?.close()]);
    await t?.drop();
  });
  beforeEach(async () => {
    await t.db.exec(`TRUNCATE market_data, period_bars, splits, dividends, etl_runs, etl_run_tickers, source_usage,
      ticker_datasets, source_entitlements, etl_schedule RESTART IDENTITY`);
    free.requests.length = 0;
    premium.requests.length = 0;
  });

  function etl(fake: FakeAlphaVantage, clock: Clock, env: Record<string, string> = {}): Etl & { lines: string[] } {
    const config = testConfig({
      LOG_LEVEL: 'debug', ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_API_KEY: KEY,
      ALPHA_VANTAGE_MIN_INTERVAL_MS: '0', ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '10000', ALPHA_VANTAGE_REQUESTS_PER_DAY: '10000', ...env,
    });
    const { logger, lines } = captureLogger(config);
    logSources.push(lines);
    return { ...createEtl(config, t.db, logger, { retry: FAST_RETRY, timeoutMs: 2000, clock }), lines };
  }

  async function expectBars(table: 'market_data' | 'period_bars', ticker: string, served: SeriesBar[], interval?: string): Promise<void> {
    const { rows } = await t.db.query<{ date: string; open: string; high: string; low: string; close: string; volume: number }>(
      `SELECT date, open, high, low, close, volume FROM ${table} WHERE ticker = $1 ${interval ? 'AND interval = $2' : ''} ORDER BY date`,
      interval ? [ticker, interval] : [ticker]);
    expect(rows.map((r) => r.date), `${table} ${interval ?? ''} dates`).toEqual(served.map((b) => b.date));
    rows.forEach((r, i) => {
      const b = served[i]!;
      for (const f of ['open', 'high', 'low', 'close'] as const) expect(new Big(r[f]).eq(b[f]), `${r.date} ${f}`).toBe(true);
      expect(r.volume, `${r.date} volume`).toBe(Number(b.volume));
    });
  }

  it('free tier: a new ticker gets its newest 100 daily bars, whole weekly and monthly history, splits and dividends in 6 requests; the next spends nothing on full', async () => {
    const bars = syntheticBars('NEW', 700, '2025-01-03');
    free.set('NEW', { data: bars, splits: SPLITS, dividends: DIVIDENDS });
    free.set('NEXT', { synthetic: 300, end: '2025-01-03' });
    const parts = etl(free, simulatedClock(FRIDAY_EVENING));

    const run = await parts.runner.run({ tickers: ['NEW'], trigger: 'api' });
    expect(run.details[0]).toMatchObject({ status: 'success', requests: 6, output_size: 'compact', rejected: 0 });
    expect(run.details[0]!.datasets.map((d) => [d.dataset, d.variant, d.status, d.requests])).toEqual([
      ['daily', 'compact', 'success', 2], ['weekly', 'full', 'success', 1], ['monthly', 'full', 'success', 1],
      ['splits', 'all', 'success', 1], ['dividends', 'all', 'success', 1],
    ]);
    expect(free.requests.map((r) => [r.function, r.outputsize])).toEqual([
      ['TIME_SERIES_DAILY', 'full'], ['TIME_SERIES_DAILY', 'compact'], ['TIME_SERIES_WEEKLY', 'compact'],
      ['TIME_SERIES_MONTHLY', 'compact'], ['SPLITS', 'compact'], ['DIVIDENDS', 'compact'],
    ]);
    await expectBars('market_data', 'NEW', bars.slice(-100));
    await expectBars('period_bars', 'NEW', aggregateBars(bars, '1w'), '1w');
    await expectBars('period_bars', 'NEW', aggregateBars(bars, '1mo'), '1mo');
    const splits = await t.db.query('SELECT ex_date, factor FROM splits WHERE ticker = $1 ORDER BY ex_date', ['NEW']);
    expect(splits.rows).toEqual([{ ex_date: '2020-08-31', factor: '0.500000' }, { ex_date: '2024-06-10', factor: '4.000000' }]);
    const dividends = await t.db.query('SELECT ex_date, declaration_date, record_date, payment_date, amount FROM dividends WHERE ticker = $1 ORDER BY ex_date', ['NEW']);
    expect(dividends.rows).toEqual([
      { ex_date: '2015-02-05', declaration_date: null, record_date: null, payment_date: null, amount: '0.400000' },
      { ex_date: '2024-11-08', declaration_date: '2024-10-31', record_date: '2024-11-11', payment_date: '2024-11-14', amount: '0.250000' },
    ]);

    // The refusal is remembered for this key: the next new ticker asks for compact straight away.
    free.requests.length = 0;
    const next = await parts.runner.run({ tickers: ['NEXT'], trigger: 'api' });
    expect(next.details[0]).toMatchObject({ status: 'success', requests: 5 });
    expect(free.requests.filter((r) => r.outputsize === 'full' && r.function === 'TIME_SERIES_DAILY')).toEqual([]);
    const { rows } = await t.db.query<{ entitlement: string; status: string; account: string }>('SELECT entitlement, status, account FROM source_entitlements ORDER BY entitlement');
    expect(rows.map((r) => [r.entitlement, r.status])).toEqual([
      ['DIVIDENDS', 'allowed'], ['SPLITS', 'allowed'], ['TIME_SERIES_DAILY&outputsize=compact', 'allowed'],
      ['TIME_SERIES_DAILY&outputsize=full', 'refused'], ['TIME_SERIES_MONTHLY', 'allowed'], ['TIME_SERIES_WEEKLY', 'allowed'],
    ]);
    expect(rows.every((r) => /^[0-9a-f]{16}$/.test(r.account) && !KEY.includes(r.account))).toBe(true);
  });

  it('a session deleted from the newest 100 is fetched again with a compact request the next day', async () => {
    free.set('GAPPY', { synthetic: 300, end: '2025-01-03' });
    await etl(free, simulatedClock(FRIDAY_EVENING)).runner.run({ tickers: ['GAPPY'], trigger: 'api' });
    const before = await t.db.query<{ close: string }>(`SELECT close FROM market_data WHERE ticker = 'GAPPY' AND date = '2024-12-20'`);
    await t.db.query(`DELETE FROM market_data WHERE ticker = 'GAPPY' AND date = '2024-12-20'`);

    free.requests.length = 0;
    const saturday = etl(free, simulatedClock('2025-01-05T01:00:00Z'));
    const planned = await saturday.runner.plan(['GAPPY'], { datasets: ['daily'] });
    expect(planned.tickers[0]!.datasets[0]).toEqual({ dataset: 'daily', requests: 1, reason: 'refetch 1 missing session since 2024-12-20: the newest 100 rows' });
    const run = await saturday.runner.run({ tickers: ['GAPPY'], datasets: ['daily'], trigger: 'api' });
    expect(run.details[0]).toMatchObject({ status: 'success', inserted: 1 });
    expect(free.requests.map((r) => [r.function, r.outputsize])).toEqual([['TIME_SERIES_DAILY', 'compact']]);
    const after = await t.db.query<{ close: string }>(`SELECT close FROM market_data WHERE ticker = 'GAPPY' AND date = '2024-12-20'`);
    expect(after.rows).toEqual(before.rows);
    // Nothing missing any more: the ticker is up to date again.
    const again = await saturday.runner.plan(['GAPPY'], { datasets: ['daily'] });
    expect(again.tickers[0]!.datasets[0]!.requests).toBe(0);
  });

  it('keeps the key out of stored data: runs, results, entitlements, budgets', async () => {
    free.set('K1', { synthetic: 30, end: '2025-01-03' });
    free.set('K2', { body: JSON.stringify({ Information: `Key ${KEY} is not premium: this is a premium endpoint.` }) }, 'SPLITS');
    await etl(free, simulatedClock(FRIDAY_EVENING)).runner.run({ tickers: ['K1', 'K2'], trigger: 'api' });
    for (const table of ['etl_runs', 'etl_run_tickers', 'source_entitlements', 'source_usage', 'ticker_datasets']) {
      const { rows } = await t.db.query<{ text: string | null }>(`SELECT string_agg(row_to_json(x)::text, ' ') AS text FROM ${table} x`);
      expect(rows[0]!.text, table).toBeTruthy();
      expect(rows[0]!.text, table).not.toContain(KEY);
    }
  });

  it('premium tier: a new ticker gets its whole daily history in one daily request', async () => {
    const bars = syntheticBars('DEEP', 1500, '2025-01-03');
    premium.set('DEEP', { data: bars });
    const run = await etl(premium, simulatedClock(FRIDAY_EVENING)).runner.run({ tickers: ['DEEP'], trigger: 'api' });
    expect(run.details[0]).toMatchObject({ status: 'success', output_size: 'full', requests: 5 });
    expect(premium.requests.filter((r) => r.function === 'TIME_SERIES_DAILY').map((r) => r.outputsize)).toEqual(['full']);
    await expectBars('market_data', 'DEEP', bars);
    const { rows } = await t.db.query(`SELECT status FROM source_entitlements WHERE entitlement = 'TIME_SERIES_DAILY&outputsize=full'`);
    expect(rows).toEqual([{ status: 'allowed' }]);
  });

  it('a budget of 10 and 5 new tickers: exactly 10 requests, recent daily bars for all, the rest deferred; the next days finish it, as planned', async () => {
    const tickers = ['T1', 'T2', 'T3', 'T4', 'T5'];
    for (const s of tickers) free.set(s, { synthetic: 400, end: '2025-01-03' });
    const clock = simulatedClock(FRIDAY_EVENING);
    const parts = etl(free, clock, { ALPHA_VANTAGE_REQUESTS_PER_DAY: '10' });
    const config = testConfig({ ALPHA_VANTAGE_BASE_URL: free.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_REQUESTS_PER_DAY: '10', DEFAULT_TICKERS: tickers.join(',') });
    const app = await buildApp({ config, db: t.db, logger: captureLogger(config).logger, etl: parts });
    try {
      const plan = (await app.inject('/api/v1/etl/plan')).json();
      // 5 daily (+1 to learn whether full history is allowed), 5 weekly, 5 monthly, 5 splits, 5 dividends.
      expect(plan).toMatchObject({ requests: 26, days_needed: 3, budget: { per_day: 10, used_today: 0, remaining_today: 10 } });
      expect(plan.tickers[0]).toMatchObject({ ticker: 'T1', requests: 6 });
      expect(plan.tickers[0].datasets[0].reason).toMatch(/^new ticker: the whole history if this key allows it \(not yet known\), else the newest 100 rows$/);
      expect(free.requests).toEqual([]); // planning spends nothing

      const day1 = (await app.inject({ method: 'POST', url: '/api/v1/etl/run' })).json<RunDetail>();
      expect(free.requests).toHaveLength(10);
      expect(day1).toMatchObject({ status: 'completed', failed: 0, deferred: 5, progress: { done: 25, total: 25 } });
      for (const d of day1.details) {
        expect(d.status).toBe('deferred');
        expect(d.datasets.find((x) => x.dataset === 'daily')).toMatchObject({ status: 'success', inserted: 100 });
        expect(d.reason).toMatch(/deferred: the daily request budget of alpha_vantage \(10 per New York day\) is used up for today; due again from 2025-01-04/);
      }
      const counts = await t.db.query<{ ticker: string; n: number }>('SELECT ticker, count(*) AS n FROM market_data GROUP BY ticker ORDER BY ticker');
      expect(counts.rows).toEqual(tickers.map((ticker) => ({ ticker, n: 100 })));

      // Saturday and Sunday: no new session, so each day's budget goes to what was deferred.
      clock.t = Date.parse('2025-01-04T18:00:00Z');
      const day2 = await parts.runner.run({ tickers, trigger: 'schedule' });
      expect(free.requests).toHaveLength(20);
      expect(day2.deferred).toBeGreaterThan(0);
      clock.t = Date.parse('2025-01-05T18:00:00Z');
      const day3 = await parts.runner.run({ tickers, trigger: 'schedule' });
      expect(free.requests).toHaveLength(26);
      expect(day3).toMatchObject({ deferred: 0, failed: 0 });
      const filled = await t.db.query<{ n: number }>(`SELECT count(DISTINCT (ticker, dataset)) AS n FROM ticker_datasets`);
      expect(filled.rows[0]!.n).toBe(25);
      const after = (await app.inject('/api/v1/etl/plan')).json();
      expect(after).toMatchObject({ requests: 0, days_needed: 0 });
    } finally {
      await app.close();
    }
  });

  it('a ticker answered with the per-minute note on every request fails within 75 s naming the limit; the others load', async () => {
    free.set('OK1', { synthetic: 120, end: '2025-01-03' });
    free.set('THROTTLED', { fail: 'minute_limit' });
    free.set('OK2', { synthetic: 120, end: '2025-01-03' });
    const clock = simulatedClock(FRIDAY_EVENING);
    const parts = etl(free, clock);
    const seen: { ticker: string; at: number }[] = [];
    const started = clock.t;
    const run = await parts.runner.run({
      tickers: ['OK1', 'THROTTLED', 'OK2'], trigger: 'api', datasets: ['daily'],
      onProgress: (p) => seen.push({ ticker: p.ticker!, at: clock.t }),
    });
    const byTicker = Object.fromEntries(run.details.map((d) => [d.ticker, d]));
    expect(byTicker.THROTTLED).toMatchObject({ status: 'failed', requests: 2 });
    expect(byTicker.THROTTLED!.reason, byTicker.THROTTLED!.reason!).toMatch(/^per-minute limit: .*5 calls per minute.*\(waited 60 s once\)/);
    expect(byTicker.OK1).toMatchObject({ status: 'success' });
    expect(byTicker.OK2).toMatchObject({ status: 'success' });
    const throttledAt = seen.find((s) => s.ticker === 'THROTTLED')!.at;
    const before = seen.find((s) => s.ticker === 'OK1')!.at;
    expect(throttledAt - before).toBeLessThan(75_000);
    expect(throttledAt - started).toBeGreaterThanOrEqual(60_000); // it did wait the window out once
  });

  it('a weekly bar re-keyed as its week goes on stays one bar for that week; a newer week is fetched only once it can exist', async () => {
    const clock = simulatedClock('2025-12-09T00:00:00Z'); // Monday 2025-12-08, 19:00 New York
    const parts = etl(free, clock, { ETL_DATASETS: 'weekly' });
    free.set('WK', { synthetic: 30, end: '2025-12-08' });
    await parts.runner.run({ tickers: ['WK'], trigger: 'api' });
    const week = () => t.db.query<{ date: string; close: string }>(`SELECT date, close FROM period_bars WHERE ticker = 'WK' AND period = '2025-12-08'`);
    expect((await week()).rows).toMatchObject([{ date: '2025-12-08' }]);

    // Tuesday evening: the same week, so nothing is due; forced, the partial bar is re-keyed.
    clock.t = Date.parse('2025-12-10T00:00:00Z');
    free.set('WK', { synthetic: 31, end: '2025-12-09' });
    const tuesday = await parts.runner.run({ tickers: ['WK'], trigger: 'api' });
    expect(tuesday.details[0]).toMatchObject({ status: 'no_new_data', requests: 0 });
    expect(tuesday.details[0]!.reason).toMatch(/^up to date: no newer week since 2025-12-09/);
    await parts.runner.run({ tickers: ['WK'], trigger: 'api', force: true });
    const rekeyed = (await week()).rows;
    expect(rekeyed).toHaveLength(1);
    expect(rekeyed[0]!.date).toBe('2025-12-09');
    const served = aggregateBars(syntheticBars('WK', 31, '2025-12-09'), '1w').at(-1)!;
    expect(new Big(rekeyed[0]!.close).eq(served.close)).toBe(true);
    const total = await t.db.query<{ n: number }>(`SELECT count(*) AS n FROM period_bars WHERE ticker = 'WK'`);
    expect(total.rows[0]!.n).toBe(aggregateBars(syntheticBars('WK', 31, '2025-12-09'), '1w').length);

    // The next Monday evening a new week can exist.
    clock.t = Date.parse('2025-12-16T00:00:00Z');
    const plan = await parts.runner.plan(['WK']);
    expect(plan.items.map((i) => i.dataset)).toEqual(['weekly']);
  });

  it('corporate actions are refreshed after CORPORATE_ACTIONS_REFRESH_DAYS; a refused entitlement is asked again after a week, and at once for a new key', async () => {
    free.set('CA', { synthetic: 50, end: '2025-01-03', splits: SPLITS, dividends: DIVIDENDS });
    const clock = simulatedClock(FRIDAY_EVENING);
    const parts = etl(free, clock);
    await parts.runner.run({ tickers: ['CA'], trigger: 'api' });
    const due = async () => (await parts.runner.plan(['CA'])).items.map((i) => `${i.dataset}:${i.variant.name}`);
    clock.t = Date.parse('2025-01-06T14:00:00Z'); // Monday morning: Friday's bar is still the latest
    expect(await due()).toEqual([]);
    clock.t = Date.parse('2025-01-08T01:00:00Z'); // Tuesday 20:00: a new daily bar, and a new week
    expect(await due()).toEqual(['daily:compact', 'weekly:full']);
    free.set('CA', { synthetic: 52, end: '2025-01-07', splits: SPLITS, dividends: DIVIDENDS });
    await parts.runner.run({ tickers: ['CA'], trigger: 'api' });
    clock.t = Date.parse('2025-01-11T01:30:00Z'); // a week and a bit after the first run, Friday evening
    expect(await due()).toEqual(['daily:compact', 'splits:all', 'dividends:all']);
    // Daily full history refused a week ago: a new ticker tries it again now.
    expect((await parts.runner.plan(['FRESH'])).items[0]).toMatchObject({ dataset: 'daily', variant: { name: 'full' }, fallback: { name: 'compact' } });
    clock.t = Date.parse('2025-01-06T01:00:00Z');
    expect((await parts.runner.plan(['FRESH'])).items[0]).toMatchObject({ dataset: 'daily', variant: { name: 'compact' } });
    // Another key knows nothing yet.
    const other = etl(free, clock, { ALPHA_VANTAGE_API_KEY: 'AVKEY-another-key-987654' });
    expect((await other.runner.plan(['FRESH'])).items[0]).toMatchObject({ variant: { name: 'full' }, fallback: { name: 'compact' } });
  });

  it('serves weekly and monthly bars through the listing (read-only, with their interval) and the corporate actions of a ticker', async () => {
    const bars = syntheticBars('LST', 300, '2025-01-03');
    free.set('LST', { data: bars, splits: SPLITS, dividends: syntheticDividends('LST', bars) });
    const parts = etl(free, simulatedClock(FRIDAY_EVENING));
    await parts.runner.run({ tickers: ['LST'], trigger: 'api' });
    const config = testConfig({ ALPHA_VANTAGE_BASE_URL: free.url, ALPHA_VANTAGE_API_KEY: KEY });
    const app = await buildApp({ config, db: t.db, logger: captureLogger(config).logger, etl: parts });
    try {
      const weeks = aggregateBars(bars, '1w');
      const seen: string[] = [];
      let url = '/api/v1/market-data?ticker=lst&interval=1w&order=asc&size=17';
      for (let pages = 0; url && pages < 100; pages++) {
        const page = (await app.inject(url)).json();
        expect(page.total).toBe(weeks.length);
        for (const r of page.items) {
          expect(r).not.toHaveProperty('id');
          expect(r.interval).toBe('1w');
          seen.push(r.date);
        }
        url = page.next_cursor ? `/api/v1/market-data?ticker=lst&interval=1w&order=asc&size=17&cursor=${page.next_cursor}` : '';
      }
      expect(seen).toEqual(weeks.map((w) => w.date));
      const monthly = (await app.inject('/api/v1/market-data?interval=1mo&size=1')).json();
      expect(monthly.items[0]).toMatchObject({ ticker: 'LST', interval: '1mo', date: '2025-01-03', close: Number(bars.at(-1)!.close) });
      const daily = (await app.inject('/api/v1/market-data?size=1')).json();
      expect(daily.items[0]).toMatchObject({ interval: '1d', id: expect.any(Number) });
      const cursor = (await app.inject('/api/v1/market-data?interval=1w&size=1')).json().next_cursor;
      const mixed = await app.inject(`/api/v1/market-data?size=1&cursor=${cursor}`);
      expect(mixed.statusCode).toBe(422);
      expect(mixed.json().errors).toEqual([{ field: 'cursor', message: 'was made for interval=1w; pass the same interval' }]);

      const actions = await app.inject('/api/v1/tickers/lst/corporate-actions');
      expect(actions.statusCode).toBe(200);
      // Numbers carry the exact stored decimal, ascending by ex-date.
      expect(actions.body).toContain('{"ex_date":"2020-08-31","factor":0.5},{"ex_date":"2024-06-10","factor":4}');
      const body = actions.json();
      expect(body.dividends.map((d: { ex_date: string }) => d.ex_date)).toEqual(syntheticDividends('LST', bars).map((d) => d.ex_dividend_date));
      expect(body.dividends[0]).toMatchObject({ amount: Number(syntheticDividends('LST', bars)[0]!.amount) });
      expect((await app.inject('/api/v1/tickers/NOPE/corporate-actions')).statusCode).toBe(404);

      const status = (await app.inject('/api/v1/etl/status')).json();
      expect(status.entitlements).toContainEqual({ dataset: 'daily', variant: 'full', status: 'refused', checked_at: expect.any(String), reason: expect.stringMatching(/premium feature/) });
      expect(status.entitlements).toContainEqual({ dataset: 'weekly', variant: 'full', status: 'allowed', checked_at: expect.any(String), reason: null });
    } finally {
      await app.close();
    }
  });

  it('Prefer: respond-async answers 202 at once; the run shows its progress while it goes, and a second run gets 409 naming it', async () => {
    for (const s of ['P1', 'P2', 'P3']) free.set(s, { delayMs: 150, then: { synthetic: 120, end: '2025-01-03' } });
    const parts = etl(free, simulatedClock(FRIDAY_EVENING));
    const config = testConfig({ ALPHA_VANTAGE_BASE_URL: free.url, ALPHA_VANTAGE_API_KEY: KEY });
    const app = await buildApp({ config, db: t.db, logger: captureLogger(config).logger, etl: parts });
    try {
      const asked = Date.now();
      const res = await app.inject({ method: 'POST', url: '/api/v1/etl/run?tickers=P1,P2,P3', headers: { prefer: 'respond-async' } });
      const took = Date.now() - asked;
      expect(res.statusCode).toBe(202);
      expect(took).toBeLessThan(1000); // a few queries: the time itself is measured by npm run bench
      const { run_id } = res.json();
      expect(res.json()).toEqual({ run_id, status: 'running' });
      expect(res.headers.location).toBe(`/api/v1/etl/runs/${run_id}`);
      expect(res.headers['preference-applied']).toBe('respond-async');

      const conflict = await app.inject({ method: 'POST', url: '/api/v1/etl/run?tickers=P1' });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json()).toMatchObject({ status: 409, run_id });
      expect(conflict.headers.location).toBe(`/api/v1/etl/runs/${run_id}`);

      const snapshots: RunDetail[] = [];
      for (;;) {
        const run = (await app.inject(`/api/v1/etl/runs/${run_id}`)).json<RunDetail>();
        snapshots.push(run);
        if (run.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 40));
      }
      const middle = snapshots.find((s) => s.status === 'running' && s.progress.done > 0 && s.progress.done < s.progress.total);
      expect(middle, 'progress seen mid-run').toBeDefined();
      expect(middle!.details.length).toBeGreaterThan(0);
      expect(snapshots.at(-1)).toMatchObject({ status: 'completed', successful: 3, progress: { done: 15, total: 15 } });
    } finally {
      await app.close();
    }
  });
});

afterAll(() => {
  // The key given to the service appears nowhere in its log output (nor in stored data: see
  // 'keeps the key out of stored data').
  expectKeyNotLogged(logSources, KEY);
});
