// loadBars on both databases: counts of inserted, updated and unchanged rows, concurrent loads
// kept apart; a new ticker loaded in steps (the embedded database) is whole or absent, whether the
// load fails or its process dies, and a bar written meanwhile by someone else survives an undo.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginStepLoad, finishStepLoad, loadStep, undoStepLoad } from '../../src/db/repositories/load-journal.ts';
import { insertMarketData } from '../../src/db/repositories/market-data.ts';
import { migrate } from '../../src/db/driver/migrate.ts';
import { openPglite } from '../../src/db/driver/pglite.ts';
import { profileOf } from '../../src/db/driver/profile.ts';
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

  const journal = async () => (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM load_journal')).rows[0]!.n;

  it('loads a new ticker over several batches whole, leaving no journal behind', async () => {
    expect(profileOf(t.db).newTickerSteps).toBe(kind === 'pglite');
    const done: number[] = [];
    expect(await loadBars(t.db, bars('LE', 1050), { batchSize: 250, onBatch: (n) => done.push(n) })).toEqual({ inserted: 1050, updated: 0, unchanged: 0 });
    expect(done).toEqual([250, 500, 750, 1000, 1050]);
    expect(await stored('LE')).toEqual({ n: 1050, closes: '10.500000' });
    expect(await journal()).toBe(0);
  });

  it('a load that fails in a later batch leaves nothing of the ticker', async () => {
    const bad = bars('LF', 900);
    bad[850] = { ...bad[850]!, high: '8' }; // below its low: the CHECK refuses it in the last batch
    await expect(loadBars(t.db, bad, { batchSize: 200 })).rejects.toMatchObject({ code: '23514' });
    expect((await stored('LF')).n).toBe(0);
    expect(await journal()).toBe(0);
  });

  it('undoing a stepped load removes its bars, not one written meanwhile by someone else', async () => {
    const rows = bars('LG', 600);
    expect(await beginStepLoad(t.db, 'LG')).toBe(true);
    expect(await loadStep(t.db, 'LG', rows.slice(0, 300))).toBe(300);
    const api = await insertMarketData(t.db, { ...rows[400]!, close: '10.25' });
    expect(api).toBeDefined();
    expect(await loadStep(t.db, 'LG', rows.slice(300))).toBe(299); // the client's bar stays as written
    expect(await undoStepLoad(t.db, 'LG')).toBe(599);
    const { rows: left } = await t.db.query<{ date: string; close: string }>(`SELECT date, close FROM market_data WHERE ticker = 'LG'`);
    expect(left).toEqual([{ date: rows[400]!.date, close: '10.250000' }]);
    expect(await journal()).toBe(0);
    // A ticker with bars is not a new one: it loads in one transaction.
    expect(await beginStepLoad(t.db, 'LG')).toBe(false);
    expect(await beginStepLoad(t.db, 'LH')).toBe(true);
    await finishStepLoad(t.db, 'LH');
    expect(await journal()).toBe(0);
  });
});

describe('a stepped load cut short by a killed process', () => {
  it('is undone when the embedded database next opens', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-load-journal-'));
    try {
      const first = await openPglite(dir);
      await migrate(first);
      await loadBars(first, bars('KEEP', 300));
      expect(await beginStepLoad(first, 'CUT')).toBe(true);
      await loadStep(first, 'CUT', bars('CUT', 500));
      await first.close(); // as a killed process leaves it: begun, never finished
      const next = await openPglite(dir);
      try {
        const { rows } = await next.query<{ ticker: string; n: number }>('SELECT ticker, count(*)::int AS n FROM market_data GROUP BY ticker');
        expect(rows).toEqual([{ ticker: 'KEEP', n: 300 }]);
        expect((await next.query<{ n: number }>('SELECT count(*)::int AS n FROM load_journal')).rows[0]!.n).toBe(0);
      } finally {
        await next.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
