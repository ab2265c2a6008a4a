// Adjusted prices and longer intervals, computed on read, through the API, on every database:
// splits and dividends applied exactly as documented (adjustments.ts), a new action changing reads
// at once without touching a bar, weekly and monthly bars derived from daily ones equal to the
// source's own, and keyset paging over adjusted and derived listings visiting every bar once.
import { Big } from 'big.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { replaceDividends, replaceSplits } from '../../../src/db/repositories/corporate-actions.ts';
import { createEtl } from '../../../src/etl/index.ts';
import { aggregateBars, syntheticBars, type SeriesBar } from '../../fixtures/alpha-vantage.ts';
import { captureLogger, testApp, testConfig } from '../../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from '../../helpers/fake-alpha-vantage.ts';

type Item = {
  ticker: string; date: string; interval: string; adjustment: string; derived: boolean;
  open: number; high: number; low: number; close: number; volume: number; raw_close?: number; updated_at: string;
};
type Page = { items: Item[]; total: number; next_cursor: string | null };

const KEY = 'AVKEY-adjustments-000111';
const weekdays = (from: string, n: number): string[] => {
  const out: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); out.length < n; ms += 86_400_000) {
    const d = new Date(ms).getUTCDay();
    if (d !== 0 && d !== 6) out.push(new Date(ms).toISOString().slice(0, 10));
  }
  return out;
};

describe.each(DATABASE_KINDS)('adjusted and derived bars on %s', (kind) => {
  let t: TestDatabase;
  let app: Awaited<ReturnType<typeof testApp>>;
  let fake: FakeAlphaVantage;

  beforeAll(async () => {
    [t, fake] = await Promise.all([openTestDatabase(kind), startFakeAlphaVantage({ key: KEY, tier: 'premium' })]);
    app = await testApp(t.db);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await t?.drop();
  });
  beforeEach(async () => {
    await t.db.exec('TRUNCATE market_data, period_bars, splits, dividends, etl_runs, etl_run_tickers, ticker_datasets, source_usage RESTART IDENTITY');
  });

  const all = async (query: string, size = 1000): Promise<{ items: Item[]; total: number; pages: number }> => {
    const items: Item[] = [];
    let total = -1;
    let pages = 0;
    for (let cursor = ''; ; pages++) {
      const res = await app.inject(`/api/v1/market-data?size=${size}&${query}${cursor}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<Page>();
      if (total >= 0) expect(page.total, 'total is the same on every page').toBe(total);
      total = page.total;
      items.push(...page.items);
      if (!page.next_cursor) return { items, total, pages: pages + 1 };
      cursor = `&cursor=${page.next_cursor}`;
    }
  };

  async function insertBars(ticker: string, rows: { date: string; open: string; high: string; low: string; close: string; volume: string | number }[]): Promise<void> {
    const c = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => String(r[k]));
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT $1, * FROM unnest($2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::bigint[])`,
    [ticker, c('date'), c('open'), c('high'), c('low'), c('close'), c('volume')]);
  }

  it('a 4-for-1 and a 7-for-1 split with no real move: no jump in split-adjusted closes, volumes scaled inversely, raw unchanged', async () => {
    const days = weekdays('2023-01-02', 60);
    // The same "true" price path throughout; the raw prices carry the splits still to come.
    const truth = days.map((date, i) => ({ date, price: new Big(50).plus(new Big(i % 7).div(4)), volume: 28 * (1000 + i) }));
    const factorBefore = (i: number) => (i < 20 ? 28 : i < 40 ? 7 : 1);
    await insertBars('SPL', truth.map((b, i) => {
      const p = b.price.times(factorBefore(i)).toFixed();
      return { date: b.date, open: p, high: p, low: p, close: p, volume: b.volume / factorBefore(i) };
    }));
    await replaceSplits(t.db, 'SPL', [{ ex_date: days[20]!, factor: '4' }, { ex_date: days[40]!, factor: '7' }]);

    const split = (await all('ticker=SPL&order=asc&adjustment=split')).items;
    expect(split).toHaveLength(60);
    split.forEach((item, i) => {
      expect(item.close, item.date).toBe(Number(truth[i]!.price));
      expect(item.volume, item.date).toBe(truth[i]!.volume);
      expect(item.adjustment).toBe('split');
      if (factorBefore(i) === 1) expect(item).not.toHaveProperty('raw_close');
      else expect(item.raw_close).toBe(Number(truth[i]!.price.times(factorBefore(i))));
    });
    // Across each ex-date the adjusted close moves as the true price does, not 4× or 7×.
    for (const i of [20, 40]) expect(split[i]!.close / split[i - 1]!.close).toBeCloseTo(Number(truth[i]!.price.div(truth[i - 1]!.price)), 12);

    const raw = (await all('ticker=SPL&order=asc')).items;
    raw.forEach((item, i) => {
      expect(item).toMatchObject({ adjustment: 'raw', close: Number(truth[i]!.price.times(factorBefore(i))), volume: truth[i]!.volume / factorBefore(i) });
      expect(item).not.toHaveProperty('raw_close');
    });
  });

  it('total return: three dividends against a factor vector worked out by hand; rounding once, half away from zero', async () => {
    const days = weekdays('2024-01-01', 12);
    const closes = ['40', '41.25', '40.5', '42', '43.125', '42.75', '44', '45.5', '44.25', '46', '47.5', '48'];
    await insertBars('DIV', days.map((date, i) => ({ date, open: closes[i]!, high: closes[i]!, low: closes[i]!, close: closes[i]!, volume: 100 })));
    const dividends = [{ i: 3, amount: '0.5' }, { i: 7, amount: '0.44' }, { i: 10, amount: '1.3' }];
    await replaceDividends(t.db, 'DIV', dividends.map((d) => ({ ex_date: days[d.i]!, declaration_date: null, record_date: null, payment_date: null, amount: d.amount })));
    // By hand: each dividend's factor 1 − amount ÷ the close of the day before its ex-date (to 20
    // places); a bar's factor is the product of those after it.
    const factor = (i: number) => dividends.filter((d) => d.i > i)
      .reduce((f, d) => f.times(new Big(1).minus(new Big(d.amount).div(closes[d.i - 1]!)).round(20)), new Big(1));
    const expected = closes.map((c, i) => new Big(c).times(factor(i)));
    const total = (await all('ticker=DIV&order=asc&adjustment=total')).items;
    total.forEach((item, i) => {
      expect(Math.abs(item.close - Number(expected[i]))).toBeLessThanOrEqual(1e-6);
      expect(item.close).toBe(Number(expected[i]!.round(6, Big.roundHalfUp)));
      expect(item.volume).toBe(100); // dividends leave volumes alone
    });
    expect(total[11]).not.toHaveProperty('raw_close'); // no dividend after the last bar
    expect(total[0]!.raw_close).toBe(40);
    // Split-adjusted only: no split, so the raw prices, and no raw_close.
    expect((await all('ticker=DIV&order=asc&adjustment=split')).items.map((x) => x.close)).toEqual(closes.map(Number));

    // Half-way: 1.000001 ÷ 2 = 0.5000005 → 0.500001 (half away from zero, once).
    await insertBars('HALF', [{ date: '2024-03-01', open: '1.000001', high: '1.000003', low: '1.000001', close: '1.000003', volume: 3 }]);
    await replaceSplits(t.db, 'HALF', [{ ex_date: '2024-03-04', factor: '2' }]);
    const [half] = (await all('ticker=HALF&adjustment=split')).items;
    expect(half).toMatchObject({ open: 0.500001, close: 0.500002, high: 0.500002, volume: 6, raw_close: 1.000003 });
  });

  it('a split recorded later changes adjusted reads at once; no bar row is rewritten', async () => {
    const days = weekdays('2024-05-01', 10);
    await insertBars('LATE', days.map((date) => ({ date, open: '30', high: '31', low: '29', close: '30', volume: 1000 })));
    const before = await t.db.query<{ id: number; updated_at: string }>(`SELECT id, updated_at FROM market_data WHERE ticker = 'LATE' ORDER BY date`);
    expect((await all('ticker=LATE&adjustment=split')).items.every((x) => x.close === 30)).toBe(true);
    await replaceSplits(t.db, 'LATE', [{ ex_date: days[5]!, factor: '3' }]);
    const after = (await all('ticker=LATE&order=asc&adjustment=split')).items;
    expect(after.map((x) => x.close)).toEqual([10, 10, 10, 10, 10, 30, 30, 30, 30, 30]);
    expect(after.map((x) => x.volume)).toEqual([3000, 3000, 3000, 3000, 3000, 1000, 1000, 1000, 1000, 1000]);
    const unchanged = await t.db.query<{ id: number; updated_at: string }>(`SELECT id, updated_at FROM market_data WHERE ticker = 'LATE' ORDER BY date`);
    expect(unchanged.rows).toEqual(before.rows);
    // The raw listing and the summary follow too.
    expect((await app.inject('/api/v1/tickers/late?adjustment=split')).json().latest).toMatchObject({ close: 30, adjustment: 'split' });
    const summaries = (await app.inject('/api/v1/ticker-summaries?adjustment=split')).json() as { ticker: string; close: number }[];
    expect(summaries.find((s) => s.ticker === 'LATE')).toMatchObject({ close: 30 });
  });

  it('keeps the factors right as bars change before an ex-date (the close a dividend is measured against)', async () => {
    const days = weekdays('2024-06-03', 10);
    await insertBars('MOVE', days.map((date, i) => ({ date, open: '20', high: '50', low: '10', close: String(20 + i), volume: 1 })));
    await replaceDividends(t.db, 'MOVE', [{ ex_date: days[6]!, declaration_date: null, record_date: null, payment_date: null, amount: '1.3' }]);
    const first = async () => (await all('ticker=MOVE&order=asc&adjustment=total')).items[0]!.close;
    // Against the close of the day before the ex-date: 25.
    expect(await first()).toBe(Number(new Big(20).times(new Big(1).minus(new Big('1.3').div(25)).round(20)).round(6, Big.roundHalfUp)));
    await t.db.query(`UPDATE market_data SET close = 26 WHERE ticker = 'MOVE' AND date = $1`, [days[5]]);
    expect(await first()).toBe(Number(new Big(20).times(new Big(1).minus(new Big('1.3').div(26)).round(20)).round(6, Big.roundHalfUp)));
    await t.db.query(`DELETE FROM market_data WHERE ticker = 'MOVE' AND date = $1`, [days[5]]);
    expect(await first()).toBe(Number(new Big(20).times(new Big(1).minus(new Big('1.3').div(24)).round(20)).round(6, Big.roundHalfUp)));
    // The table always equals a fresh computation.
    const kept = await t.db.query(`SELECT * FROM adjustment_factors ORDER BY ticker, to_date`);
    await t.db.query(`SELECT refresh_adjustment_factors(ARRAY(SELECT DISTINCT ticker FROM adjustment_factors))`);
    const fresh = await t.db.query(`SELECT * FROM adjustment_factors ORDER BY ticker, to_date`);
    expect(kept.rows).toEqual(fresh.rows);
    expect(kept.rows).toHaveLength(1);
    // Truncating the bars leaves no dividend factor (there is no close to measure against).
    await t.db.exec('TRUNCATE market_data');
    expect((await t.db.query('SELECT count(*) AS n FROM adjustment_factors')).rows[0]).toEqual({ n: 0 });
  });

  it('weekly and monthly bars derived from the daily ones equal the source\'s own, holiday weeks and the partial newest period included', async () => {
    // Good Friday 2017-04-14 and Christmas 2017-12-25 closed; the series ends on a Wednesday.
    const bars = syntheticBars('DRV', 320, '2018-01-03').filter((b) => b.date !== '2017-04-14' && b.date !== '2017-12-25');
    fake.set('DRV', { data: bars });
    const config = testConfig({
      ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0', ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '1000',
    });
    const etl = createEtl(config, t.db, captureLogger(config).logger);
    try {
      // Daily bars only: the weekly and monthly listings are then all derived.
      await etl.runner.run({ tickers: ['DRV'], trigger: 'api', datasets: ['daily'] });
      const served = async (fn: string, key: string): Promise<SeriesBar[]> => {
        const body = await (await fetch(`${fake.url}?function=${fn}&symbol=DRV&apikey=${KEY}`)).json() as Record<string, Record<string, Record<string, string>>>;
        return Object.entries(body[key]!).map(([date, b]) => ({ date, open: b['1. open']!, high: b['2. high']!, low: b['3. low']!, close: b['4. close']!, volume: b['5. volume']! })).reverse();
      };
      for (const [interval, fn, key] of [['1w', 'TIME_SERIES_WEEKLY', 'Weekly Time Series'], ['1mo', 'TIME_SERIES_MONTHLY', 'Monthly Time Series']] as const) {
        const expected = await served(fn, key);
        if (interval === '1w') expect(expected.find((b) => b.date === '2017-04-13'), 'the holiday week is keyed by its Thursday').toBeDefined();
        expect(expected.at(-1)!.date, 'the newest period is partial').toBe('2018-01-03');
        const derived = (await all(`ticker=DRV&order=asc&interval=${interval}`)).items;
        expect(derived.every((x) => x.derived && x.interval === interval)).toBe(true);
        expect(derived.map((x) => [x.date, x.open, x.high, x.low, x.close, x.volume])).toEqual(
          expected.map((b) => [b.date, Number(b.open), Number(b.high), Number(b.low), Number(b.close), Number(b.volume)]));
      }
      // With the source's own weekly bars stored, those are served, unaltered, and none derived.
      await etl.runner.run({ tickers: ['DRV'], trigger: 'api', datasets: ['weekly'] });
      const stored = (await all('ticker=DRV&order=asc&interval=1w')).items;
      expect(stored.every((x) => !x.derived)).toBe(true);
      expect(stored.map((x) => x.date)).toEqual(aggregateBars(bars, '1w').map((b) => b.date));
    } finally {
      await etl.close();
    }
  });

  it('quarters and years are made from the months, stored or derived', async () => {
    const days = weekdays('2022-11-01', 120);
    await insertBars('QY', days.map((date, i) => {
      const c = (20 + (i % 9)).toFixed(2);
      return { date, open: (20 + (i % 5)).toFixed(2), high: '40', low: '10', close: c, volume: 10 + i };
    }));
    // January 2023 comes from the source (as a stored monthly bar): it replaces the daily-made one.
    await t.db.query(`INSERT INTO period_bars (ticker, interval, date, open, high, low, close, volume) VALUES ('QY', '1mo', '2023-01-31', 22, 45, 5, 33, 7)`);
    const months = (await all('ticker=QY&order=asc&interval=1mo')).items;
    expect(days.at(-1)).toBe('2023-04-17');
    expect(months.map((m) => [m.date, m.derived])).toEqual([
      ['2022-11-30', true], ['2022-12-30', true], ['2023-01-31', false], ['2023-02-28', true], ['2023-03-31', true], ['2023-04-17', true],
    ]);
    const quarters = (await all('ticker=QY&order=asc&interval=1q')).items;
    const q1 = months.slice(2, 5);
    expect(quarters.map((q) => q.date)).toEqual(['2022-12-30', '2023-03-31', '2023-04-17']);
    expect(quarters[1]).toMatchObject({
      interval: '1q', derived: true, open: q1[0]!.open, close: q1[2]!.close,
      high: Math.max(...q1.map((m) => m.high)), low: Math.min(...q1.map((m) => m.low)), volume: q1.reduce((n, m) => n + m.volume, 0),
    });
    const years = (await all('ticker=QY&order=asc&interval=1y')).items;
    expect(years.map((y) => [y.date, y.volume])).toEqual([
      ['2022-12-30', months[0]!.volume + months[1]!.volume],
      ['2023-04-17', months.slice(2).reduce((n, m) => n + m.volume, 0)],
    ]);
    // A date range keeps whole periods: a quarter cut by start_date is still made of all its months.
    const ranged = (await all('ticker=QY&order=asc&interval=1q&start_date=2023-03-01')).items;
    expect(ranged.map((q) => [q.date, q.volume])).toEqual(quarters.slice(1).map((q) => [q.date, q.volume]));
  });

  it('keyset paging over adjusted and derived listings visits every bar once, in order, with the exact total', async () => {
    for (const [n, ticker] of ['AAA', 'BBB', 'CCC'].entries()) {
      const bars = syntheticBars(ticker, 150 + 40 * n, '2024-06-28');
      await insertBars(ticker, bars);
      await replaceSplits(t.db, ticker, [{ ex_date: bars[60]!.date, factor: '2' }]);
      await replaceDividends(t.db, ticker, [{ ex_date: bars[100]!.date, declaration_date: null, record_date: null, payment_date: null, amount: '0.3' }]);
    }
    // Some weeks of AAA stored, the rest derived.
    await t.db.query(`INSERT INTO period_bars (ticker, interval, date, open, high, low, close, volume)
      SELECT 'AAA', '1w', date, open, high, low, close, volume FROM market_data WHERE ticker = 'AAA' AND extract(isodow FROM date) = 5 AND date < '2024-03-01'`);
    for (const query of ['adjustment=total', 'adjustment=split&interval=1w', 'adjustment=total&interval=1mo', 'interval=1w', 'interval=1q&adjustment=total']) {
      for (const order of ['asc', 'desc']) {
        const one = await all(`${query}&order=${order}`);
        const size = query.includes('1q') ? 2 : 7;
        const paged = await all(`${query}&order=${order}`, size);
        expect(paged.pages, query).toBeGreaterThan(2);
        expect(paged.total, query).toBe(one.items.length);
        expect(paged.items.map((x) => `${x.date} ${x.ticker}`), `${query} ${order}`).toEqual(one.items.map((x) => `${x.date} ${x.ticker}`));
        expect(paged.items, `${query} ${order}: the same records`).toEqual(one.items);
        const keys = one.items.map((x) => [x.date, x.ticker] as const);
        const sorted = [...keys].sort((a, b) => (a[0] === b[0] ? a[1].localeCompare(b[1]) : (a[0] < b[0] ? -1 : 1) * (order === 'asc' ? 1 : -1)));
        expect(keys).toEqual(sorted);
        // Page numbers agree with cursors.
        const third = (await app.inject(`/api/v1/market-data?${query}&order=${order}&size=${size}&page=3`)).json<Page>();
        expect(third.items).toEqual(one.items.slice(2 * size, 3 * size));
      }
    }
    const weeks = (await all('interval=1w&ticker=AAA&order=asc')).items;
    expect(weeks.some((w) => w.derived) && weeks.some((w) => !w.derived)).toBe(true);

    // The export streams the same rows, adjusted and derived alike.
    for (const query of ['adjustment=total', 'adjustment=split&interval=1w&order=asc', 'interval=1q&adjustment=total']) {
      const res = await app.inject(`/api/v1/market-data/export?${query}`);
      expect(res.statusCode).toBe(200);
      const lines = res.body.trimEnd().split('\r\n');
      expect(lines[0]).toBe('date,ticker,open,high,low,close,volume');
      const listed = (await all(query)).items;
      expect(lines.slice(1)).toEqual(listed.map((i) => [i.date, i.ticker, i.open, i.high, i.low, i.close, i.volume].join(',')));
    }
    expect((await app.inject('/api/v1/market-data/export?ticker=AAA&interval=1w&adjustment=split')).headers['content-disposition'])
      .toBe('attachment; filename="market-data_AAA_1w_split-adjusted.csv"');
  });

  it('refuses an unknown interval or adjustment with a 422 naming the field', async () => {
    for (const [query, field] of [['interval=2w', 'interval'], ['adjustment=dividend', 'adjustment']] as const) {
      const res = await app.inject(`/api/v1/market-data?${query}`);
      expect(res.statusCode).toBe(422);
      expect(res.json().errors[0].field).toBe(field);
    }
  });
});
