// The loader against the raw upsert ceiling, in one database and one run: the service's loadBars
// (a ticker per transaction, RETURNING counts) versus a bare connection sending the unnest upsert
// batch after batch in autocommit, as ../shared/peer/db-limit/ingest.mjs does — into the service's
// own table (its triggers keep the totals exact), and, for reference, into a plain copy without them.
import pg from 'pg';
import { migrate } from '../../src/db/migrate.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { loadBars } from '../../src/etl/load.ts';
import type { Bar } from '../../src/model/bar.ts';
import { compactAndVacuum } from './seed.ts';

export type LoaderCase = 'new' | 'changed' | 'unchanged';
export interface LoaderResult { case: LoaderCase; loader_rows_per_s: number; raw_rows_per_s: number; plain_rows_per_s: number; ratio: number }

const BATCH = 5000;

/** `tickers` × `days` bars; `bump` changes every volume (a "changed" reload). */
function makeBars(tickers: number, days: number, bump: number): Bar[] {
  const bars: Bar[] = [];
  const day0 = Date.UTC(2000, 0, 3);
  for (let t = 1; t <= tickers; t++) {
    for (let d = 0; d < days; d++) {
      const c = 20 + (t % 400) + 5 * Math.sin(d / 50 + t);
      const o = c * (1 + 0.01 * Math.sin(d * 0.37 + t));
      bars.push({
        ticker: `L${String(t).padStart(4, '0')}`, date: new Date(day0 + d * 86_400_000).toISOString().slice(0, 10),
        open: o.toFixed(4), high: (Math.max(o, c) * 1.006).toFixed(4), low: (Math.min(o, c) * 0.994).toFixed(4), close: c.toFixed(4),
        volume: 100_000 + ((t * 7919 + d * 104_729) % 9_000_000) + bump,
      });
    }
  }
  return bars;
}

const rawUpsert = (table: string, guarded: boolean) => `INSERT INTO ${table} AS m (ticker, date, open, high, low, close, volume)
SELECT * FROM unnest($1::varchar[], $2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::bigint[])
ON CONFLICT (ticker, date) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
  close = EXCLUDED.close, volume = EXCLUDED.volume, updated_at = now()${guarded ? `
WHERE (m.open, m.high, m.low, m.close, m.volume) IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)` : ''}`;

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function rawLoad(client: pg.Client, table: string, bars: Bar[], guarded: boolean): Promise<number> {
  const columns = [bars.map((b) => b.ticker), bars.map((b) => b.date), bars.map((b) => b.open), bars.map((b) => b.high),
    bars.map((b) => b.low), bars.map((b) => b.close), bars.map((b) => b.volume)];
  const text = rawUpsert(table, guarded);
  const start = process.hrtime.bigint();
  for (let i = 0; i < bars.length; i += BATCH) {
    await client.query({ name: `raw_${table}_${guarded}`, text, values: columns.map((c) => c.slice(i, i + BATCH)) });
  }
  return bars.length / seconds(start);
}

/** Every case, loader and raw, on the same rows; `url` is a scratch database. */
export async function loaderCases(url: string, tickers: number, days: number): Promise<LoaderResult[]> {
  const db = await openPostgres({ url, poolSize: 2 });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrate(db);
    await client.query('DROP TABLE IF EXISTS plain_ingest');
    await client.query('CREATE TABLE plain_ingest (LIKE market_data INCLUDING ALL)');
    const original = makeBars(tickers, days, 0);
    const changed = makeBars(tickers, days, 1);
    const byTicker = (bars: Bar[]) => Array.from({ length: tickers }, (_, i) => bars.slice(i * days, (i + 1) * days));
    const vacuum = async () => {
      await compactAndVacuum(client);
      await client.query('VACUUM ANALYZE plain_ingest');
    };

    const ours = async (bars: Bar[]) => {
      const start = process.hrtime.bigint();
      for (const group of byTicker(bars)) await loadBars(db, group);
      return bars.length / seconds(start);
    };
    const plan: [LoaderCase, Bar[]][] = [['new', original], ['changed', changed], ['unchanged', changed]];
    const result = new Map<LoaderCase, Partial<LoaderResult>>();
    // Loader first, then the raw statement from the same starting state.
    for (const [who, table] of [['loader', 'market_data'], ['raw', 'market_data'], ['plain', 'plain_ingest']] as const) {
      await client.query(`TRUNCATE ${table} RESTART IDENTITY`);
      await vacuum();
      for (const [kase, bars] of plan) {
        const rate = who === 'loader' ? await ours(bars) : await rawLoad(client, table, bars, true);
        result.set(kase, { ...result.get(kase), case: kase, [`${who}_rows_per_s`]: Math.round(rate) });
        await vacuum();
      }
    }
    await client.query('DROP TABLE plain_ingest');
    return [...result.values()].map((r) => ({ ...(r as LoaderResult), ratio: r.loader_rows_per_s! / r.raw_rows_per_s! }));
  } finally {
    await client.end();
    await db.close();
  }
}
