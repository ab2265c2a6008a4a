// loadBars on both databases: counts of inserted, updated and unchanged rows, and, on the embedded
// database, loads that share its staging table without mixing their rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBars } from '../../src/etl/load.ts';
import type { Bar } from '../../src/model/bar.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../helpers/databases.ts';

const bars = (ticker: string, days: number, close = '10.5'): Bar[] => Array.from({ length: days }, (_, i) => ({
  ticker, date: new Date(Date.UTC(2001, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
  open: '10', high: '11', low: '9', close, volume: 1000 + i,
}));

describe.each(DATABASE_KINDS)('loadBars on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => { t = await openTestDatabase(kind); });
  afterAll(async () => t?.drop());
  const stored = async (ticker: string) => (await t.db.query<{ n: number; closes: string }>(
    `SELECT count(*)::int AS n, string_agg(DISTINCT close::text, ',') AS closes FROM market_data WHERE ticker = $1`, [ticker])).rows[0]!;

  it('reports inserted, then updated and unchanged rows, over several statements', async () => {
    expect(await loadBars(t.db, bars('LA', 1200), { batchSize: 500 })).toEqual({ inserted: 1200, updated: 0, unchanged: 0 });
    const revised = bars('LA', 1300).map((b, i) => (i % 2 ? { ...b, close: '10.75' } : b));
    expect(await loadBars(t.db, revised, { batchSize: 500 })).toEqual({ inserted: 100, updated: 600, unchanged: 600 });
    expect(await stored('LA')).toEqual({ n: 1300, closes: '10.500000,10.750000' });
  });

  it('keeps concurrent loads apart, each whole', async () => {
    const results = await Promise.all(['LB', 'LC', 'LD'].map((ticker, i) => loadBars(t.db, bars(ticker, 700 + i * 100, `10.${i + 2}5`), { batchSize: 200 })));
    expect(results).toEqual([700, 800, 900].map((n) => ({ inserted: n, updated: 0, unchanged: 0 })));
    expect(await stored('LB')).toEqual({ n: 700, closes: '10.250000' });
    expect(await stored('LC')).toEqual({ n: 800, closes: '10.350000' });
    expect(await stored('LD')).toEqual({ n: 900, closes: '10.450000' });
  });
});
