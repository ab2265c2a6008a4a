// The traffic the ETL gives way to on the embedded database (EtlDeps.foreground): API requests
// count while they are answered and for QUIET_MS after; the synchronous ETL trigger does not, or a
// run started through the API would give way to its own request after every ticker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { QUIET_MS, Traffic } from '../../src/api/traffic.ts';
import { createEtl } from '../../src/etl/index.ts';
import { captureLogger, testConfig } from '../helpers/app.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from '../helpers/fake-alpha-vantage.ts';

describe('Traffic.busy', () => {
  it.each([
    { open: 1, sinceActive: 10_000, busy: true },
    { open: 0, sinceActive: 0, busy: true },
    { open: 0, sinceActive: QUIET_MS - 1, busy: true },
    { open: 0, sinceActive: QUIET_MS, busy: false },
    { open: 0, sinceActive: 10_000, busy: false },
  ])('$open open, last active $sinceActive ms ago: busy $busy', ({ open, sinceActive, busy }) => {
    const traffic = Object.assign(new Traffic(), { open, lastActive: 1_000_000 });
    expect(traffic.busy(1_000_000 + sinceActive)).toBe(busy);
  });
});

describe('open API requests, as the ETL sees them', () => {
  let t: TestDatabase;
  let fake: FakeAlphaVantage;
  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    fake = await startFakeAlphaVantage({ key: 'fake-key-123', tier: 'premium', symbols: { TA: { synthetic: 50 }, TB: { synthetic: 50 } } });
  });
  afterAll(async () => { await fake?.close(); await t?.drop(); });

  it('counts requests being answered, but not the ETL trigger waiting on its own run', async () => {
    const config = testConfig({
      ALPHA_VANTAGE_API_KEY: 'fake-key-123', ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0',
      ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '1000', ALPHA_VANTAGE_REQUESTS_PER_DAY: '1000',
    });
    const traffic = new Traffic();
    const { logger } = captureLogger(config);
    const etl = createEtl(config, t.db, logger);
    const app = await buildApp({ config, db: t.db, logger, etl, traffic });
    let during = -1;
    app.get('/probe', async () => { during = traffic.open; return {}; });
    try {
      expect((await app.inject('/probe')).statusCode).toBe(200);
      expect(during).toBe(1);
      expect(traffic.open).toBe(0);
      const res = await app.inject({ method: 'POST', url: '/api/v1/etl/run?tickers=TA&tickers=TB&datasets=daily' });
      expect(res.json()).toMatchObject({ successful: 2 });
      expect(traffic.open).toBe(0);
    } finally {
      await app.close();
    }
  });
});
