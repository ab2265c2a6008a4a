// The shared schedule: a run at start and then once per interval — between every replica sharing
// the database — and a stop that abandons the current ticker cleanly.
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/driver/database.ts';
import { openPostgres } from '../../src/db/driver/postgres.ts';
import { createEtl } from '../../src/etl/index.ts';
import { Scheduler } from '../../src/etl/scheduler.ts';
import { captureLogger, testConfig } from '../helpers/app.ts';
import { DATABASE_KINDS } from '../helpers/databases.ts';
import { useEtlFixture } from '../helpers/etl-fixture.ts';

const KEY = 'AVKEY-scheduler-test-1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DATABASE_KINDS)('scheduler on %s', (kind) => {
  const ctx = useEtlFixture(kind, { key: KEY, tier: 'premium' }, ['market_data', 'etl_runs', 'etl_run_tickers', 'source_usage', 'ticker_datasets', 'etl_schedule']);

  function scheduler(db: Database, name: string, intervalMinutes: number, tickers: string[]): Scheduler {
    const config = testConfig({ ALPHA_VANTAGE_BASE_URL: ctx.fake.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0', ALPHA_VANTAGE_REQUESTS_PER_DAY: '10000', ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '10000', ETL_DATASETS: 'daily' });
    const { logger } = captureLogger(config);
    const { runner } = createEtl(config, db, logger, { timeoutMs: 5000 });
    return new Scheduler({ db, runner, logger, intervalMinutes, tickers, instanceId: name });
  }

  const runs = async () => (await ctx.t.db.query<{ id: number; started_at: string; status: string }>(
    `SELECT id, started_at, status FROM etl_runs WHERE trigger = 'schedule' ORDER BY id`)).rows;

  it('runs at start and then once per interval', async () => {
    ctx.fake.set('AAPL', { synthetic: 5 });
    const s = scheduler(ctx.t.db, 'solo', 0.05, ['AAPL']); // every 3 s
    s.start();
    await sleep(7_500);
    await s.stop();
    const seen = await runs();
    expect(seen.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']); // at 0, 3 and 6 s
  });

  it('abandons the current ticker on stop: no partial ticker, the rest skipped, the run marked aborted', async () => {
    ctx.fake.set('BIG', { synthetic: 3000 });
    ctx.fake.set('SLOW', { delayMs: 3000, then: { synthetic: 3000 } });
    const s = scheduler(ctx.t.db, 'solo', 60, ['BIG', 'SLOW', 'AFTER']);
    s.start();
    while (ctx.fake.requests.length < 2) await sleep(20); // BIG loaded, SLOW being fetched
    const stopping = Date.now();
    await s.stop();
    expect(Date.now() - stopping).toBeLessThan(2000);
    const [run] = await runs();
    expect(run!.status).toBe('aborted');
    const { rows } = await ctx.t.db.query<{ ticker: string; status: string; reason: string }>('SELECT ticker, status, reason FROM etl_run_tickers ORDER BY position');
    expect(rows.map((r) => [r.ticker, r.status])).toEqual([['BIG', 'success'], ['SLOW', 'skipped'], ['AFTER', 'skipped']]);
    expect(rows[1]!.reason).toMatch(/abandoned/);
    const counts = await ctx.t.db.query<{ ticker: string; n: number }>('SELECT ticker, count(*) AS n FROM market_data GROUP BY ticker');
    expect(counts.rows).toEqual([{ ticker: 'BIG', n: 3000 }]);
  });

  it.runIf(kind === 'postgres')('runs once per interval between two replicas sharing the database', async () => {
    ctx.fake.set('AAPL', { synthetic: 5 });
    ctx.fake.set('MSFT', { synthetic: 5 });
    // A second replica: its own pool, runner, limiter and scheduler, on the same database.
    const other = await openPostgres({ url: ctx.t.url!, poolSize: 3 });
    const a = scheduler(ctx.t.db, 'replica-a', 0.05, ['AAPL', 'MSFT']);
    const b = scheduler(other, 'replica-b', 0.05, ['AAPL', 'MSFT']);
    try {
      a.start();
      b.start();
      await sleep(10_500); // slots due at 0, 3, 6 and 9 s
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await other.close();
    }
    const seen = await runs();
    expect(seen).toHaveLength(4);
    expect(seen.every((r) => r.status === 'completed')).toBe(true);
    const starts = seen.map((r) => Date.parse(r.started_at));
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThan(2_500);
    const { rows } = await ctx.t.db.query<{ claimed_by: string }>('SELECT claimed_by FROM etl_schedule');
    expect(['replica-a', 'replica-b']).toContain(rows[0]!.claimed_by);
  });
});
