// A per-minute limit waited out for real: a ticker that Alpha Vantage answers with the per-minute
// note on every request fails within 75 s, with a reason naming the limit, and the run's other
// tickers load. (test/etl/acquisition.test.ts checks the same on a simulated clock, on every
// database; this is the wall-clock version, on the first database kind.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtl } from '../../src/etl/index.ts';
import { captureLogger, testConfig } from '../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from '../helpers/fake-alpha-vantage.ts';

const KEY = 'AVKEY-rate-limit-chaos-01';

describe(`a per-minute limit in real time on ${DATABASE_KINDS[0]}`, () => {
  let t: TestDatabase;
  let fake: FakeAlphaVantage;
  beforeAll(async () => {
    [t, fake] = await Promise.all([openTestDatabase(DATABASE_KINDS[0]!), startFakeAlphaVantage({ key: KEY, tier: 'free' })]);
  });
  afterAll(async () => {
    await fake?.close();
    await t?.drop();
  });

  it('fails the throttled ticker within 75 s naming the limit; the others load', async () => {
    fake.set('OK1', { synthetic: 120 });
    fake.set('THROTTLED', { fail: 'minute_limit' });
    fake.set('OK2', { synthetic: 120 });
    const config = testConfig({
      ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_API_KEY: KEY, ETL_DATASETS: 'daily',
      ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '60', ALPHA_VANTAGE_REQUESTS_PER_DAY: '100',
    });
    const { runner } = createEtl(config, t.db, captureLogger(config).logger);
    const done: Record<string, number> = {};
    const started = Date.now();
    const run = await runner.run({ tickers: ['OK1', 'THROTTLED', 'OK2'], trigger: 'api', onProgress: (p) => { done[p.ticker!] = Date.now(); } });
    const throttled = run.details.find((d) => d.ticker === 'THROTTLED')!;
    expect(throttled).toMatchObject({ status: 'failed', requests: 2 });
    expect(throttled.reason).toMatch(/^per-minute limit: .*5 calls per minute.*\(waited 60 s once\) \(gave up after 2 attempts\)$/);
    const held = done.THROTTLED! - done.OK1!;
    expect(held).toBeGreaterThanOrEqual(60_000);
    expect(held).toBeLessThan(75_000);
    expect(run.details.filter((d) => d.status === 'success').map((d) => d.ticker)).toEqual(['OK1', 'OK2']);
    console.info(`[rate limit] the throttled ticker held the run ${(held / 1000).toFixed(1)} s; the run took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
