// Records are sent as JSON text made by the database (src/db/repositories/record-json.ts). Every endpoint that
// answers with records must say exactly what the row-serialising path says, and fit the schema.
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.ts';
import { DATABASE_KINDS } from '../helpers/databases.ts';

describe.each(DATABASE_KINDS)('records as database-made JSON on %s', (kind) => {
  // The extremes of each column, and timestamps with every length of fraction.
  const ctx = useTestApp(kind, {
    seed: (db) => db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume, created_at, updated_at) VALUES
      ('BRK.B', '1800-01-01', 0.000001, 999999999.999999, 0.000001, 0.000001, 9007199254740991, '2024-01-15 10:00:00+00', '2024-01-15 10:00:00.1+00'),
      ('X-1', '2024-02-29', 150, 150.5, 149.25, 150.123456, 0, '2024-01-15 10:00:00.123456+00', '2024-01-15 10:00:00.000001+00'),
      ('Z9', '2024-03-01', 10.1, 10.1, 10.1, 10.1, 3000000000, '1999-12-31 23:59:59.99+00', now())`),
  });

  it('answers list, read and summary with the same records, in the documented form', async () => {
    const spec = (await ctx.app.inject('/openapi.json')).json() as { components: { schemas: Record<string, object> } };
    const ajv = new Ajv2020.default({ strict: false });
    addFormats.default(ajv);
    const validRecord = ajv.compile(spec.components.schemas.MarketData!);

    const list = (await ctx.app.inject('/api/v1/market-data?order=asc')).json() as { items: Record<string, unknown>[] };
    expect(list.items).toHaveLength(3);
    for (const item of list.items) {
      expect(validRecord(item), JSON.stringify(validRecord.errors)).toBe(true);
      const one = (await ctx.app.inject(`/api/v1/market-data/${item.id}`)).json();
      expect(one).toEqual(item);
      // /tickers/{ticker}.latest is serialised by Fastify from rows: the two paths must agree.
      const summary = (await ctx.app.inject(`/api/v1/tickers/${item.ticker}`)).json() as { latest: unknown };
      expect(summary.latest).toEqual(item);
    }
    expect(list.items[0]).toMatchObject({
      ticker: 'BRK.B', date: '1800-01-01', open: 0.000001, high: 999999999.999999, volume: 9007199254740991,
      created_at: '2024-01-15T10:00:00.000000Z', updated_at: '2024-01-15T10:00:00.100000Z',
    });
    expect(list.items[1]).toMatchObject({ open: 150, close: 150.123456, created_at: '2024-01-15T10:00:00.123456Z', updated_at: '2024-01-15T10:00:00.000001Z' });
  });

  it('answers weekly and monthly bars in the same documented form, without an id', async () => {
    await ctx.t.db.query(`INSERT INTO period_bars (ticker, interval, date, open, high, low, close, volume, created_at, updated_at) VALUES
      ('BRK.B', '1w', '2024-01-12', 0.000001, 999999999.999999, 0.000001, 0.5, 9007199254740991, '2024-01-15 10:00:00+00', '2024-01-15 10:00:00.1+00'),
      ('BRK.B', '1mo', '2024-01-31', 1, 2, 1, 1.25, 7, '2024-01-15 10:00:00+00', '2024-01-15 10:00:00.1+00')`);
    const spec = (await ctx.app.inject('/openapi.json')).json() as { components: { schemas: Record<string, object> } };
    const ajv = new Ajv2020.default({ strict: false });
    addFormats.default(ajv);
    const validRecord = ajv.compile(spec.components.schemas.MarketData!);
    for (const [interval, expected] of [
      ['1w', { ticker: 'BRK.B', date: '2024-01-12', interval: '1w', adjustment: 'raw', derived: false, open: 0.000001, high: 999999999.999999, low: 0.000001, close: 0.5, volume: 9007199254740991 }],
      ['1mo', { ticker: 'BRK.B', date: '2024-01-31', interval: '1mo', adjustment: 'raw', derived: false, open: 1, high: 2, low: 1, close: 1.25, volume: 7 }],
    ] as const) {
      // (BRK.B's daily bar of 1800 makes a derived bar of its own period: outside the range.)
      const res = await ctx.app.inject(`/api/v1/market-data?interval=${interval}&ticker=BRK.B&start_date=2024-01-01`);
      const { items } = res.json() as { items: Record<string, unknown>[] };
      expect(items).toEqual([{ ...expected, created_at: '2024-01-15T10:00:00.000000Z', updated_at: '2024-01-15T10:00:00.100000Z' }]);
      expect(validRecord(items[0]), JSON.stringify(validRecord.errors)).toBe(true);
    }
    await ctx.t.db.exec('TRUNCATE period_bars');
  });

  it('prints prices as the shortest exact decimal', async () => {
    const res = await ctx.app.inject('/api/v1/market-data?ticker=X-1');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toContain('"open":150,"high":150.5,"low":149.25,"close":150.123456,"volume":0,');
  });
});
