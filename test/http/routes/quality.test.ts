// GET /api/v1/quality and /quality/{ticker}: a bar deleted through the API is missing at once and
// re-inserting it clears it (acceptance 3); the gauges on /metrics carry only bounded labels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bar, testApp } from '../../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

describe.each(DATABASE_KINDS)('quality API on %s', (kind) => {
  let t: TestDatabase;
  let app: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    app = await testApp(t.db, { STALE_SESSIONS: '3' });
    expect((await app.inject('/api/v1/quality')).json()).toMatchObject({ tickers: [], stale_sessions: 3 }); // fills the sessions
    await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
      SELECT 'GAPPY', date, 10, 11, 9, 10, 1000 FROM exchange_sessions WHERE date BETWEEN '2024-03-01' AND '2024-03-28'`);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  const report = async (query = '') => {
    const res = await app.inject(`/api/v1/quality/gappy${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { missing: number; expected: number; stored: number; status: string; stale: boolean; findings: { kind: string; date: string; reason: string }[] };
  };

  it('shows a bar deleted through the API as missing at once; re-inserting it clears it', async () => {
    expect(await report()).toMatchObject({ expected: 20, stored: 20, missing: 0, findings: [], stale: true, status: 'error' });
    const listed = (await app.inject('/api/v1/market-data?ticker=GAPPY&start_date=2024-03-14&end_date=2024-03-14')).json();
    const id = listed.items[0].id as number;
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/market-data/${id}` })).statusCode).toBe(204);

    const gap = await report();
    expect(gap).toMatchObject({ expected: 20, stored: 19, missing: 1 });
    expect(gap.findings).toEqual([{ kind: 'missing', date: '2024-03-14', reason: 'a session with no bar' }]);
    const all = (await app.inject('/api/v1/quality')).json();
    expect(all.tickers).toEqual([expect.objectContaining({ ticker: 'GAPPY', missing: 1, status: 'error' })]);

    const put = await app.inject({ method: 'POST', url: '/api/v1/market-data', payload: bar({ ticker: 'GAPPY', date: '2024-03-14', open: 10, high: 11, low: 9, close: 10 }) });
    expect(put.statusCode, put.body).toBe(201);
    expect(await report()).toMatchObject({ missing: 0, findings: [] });
  });

  it('reports a requested range, and refuses bad ones', async () => {
    expect(await report('?start_date=2024-03-25&end_date=2024-04-02')).toMatchObject({ from_date: '2024-03-25', to_date: '2024-04-02', expected: 6, stored: 4, missing: 2 });
    expect((await app.inject('/api/v1/quality/GAPPY?start_date=2024-04-02&end_date=2024-03-01')).statusCode).toBe(422);
    expect((await app.inject('/api/v1/quality/NOPE')).statusCode).toBe(404);
  });

  it('exposes gauges labelled by status and kind only', async () => {
    const text = (await app.inject('/metrics')).body;
    expect(text).toContain('data_quality_tickers{status="error"} 1');
    expect(text).toContain('data_quality_findings{kind="stale"} 1');
    expect(text).toMatch(/data_quality_findings\{kind="missing"\} \d/);
    expect(text).not.toMatch(/data_quality_\w+\{[^}]*GAPPY/);
  });
});
