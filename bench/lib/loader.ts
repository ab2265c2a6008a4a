// The loader against the raw upsert ceiling, in one run: the service's loadBars (a ticker per
// transaction, RETURNING counts) versus a bare connection sending the unnest upsert batch after
// batch in autocommit, as ../shared/peer/db-limit/ingest.mjs does — into the service's own table
// (its triggers keep the totals exact), and, for reference, into a plain copy without them.
//
// The loader and the raw statement each have a database of their own, in the same state, and
// take each ticker in turn (see pass): on a shared host the speed drifts within a minute,
// and when one side took a whole pass and then the other, the two were apart in time.
// A ticker's bars are made just before it is loaded, outside the clock, so that this process holds
// one ticker's bars as the ETL does rather than 500k (whose garbage collections fell inside passes).
import pg from 'pg';
import { migrate, openPostgres } from '../../src/db/index.ts';
import { loadBars } from '../../src/etl/load.ts';
import type { Bar } from '../../src/model/bar.ts';
import { compactAndVacuum } from './seed.ts';

export type LoaderCase = 'new' | 'changed' | 'unchanged';
export interface LoaderResult { case: LoaderCase; loader_rows_per_s: number; raw_rows_per_s: number; plain_rows_per_s?: number; ratio: number }

/** One ticker's `days` bars (one statement's worth); `bump` changes every volume (a "changed" reload). */
function tickerBars(t: number, days: number, bump: number): Bar[] {
  const bars: Bar[] = [];
  const day0 = Date.UTC(2000, 0, 3);
  for (let d = 0; d < days; d++) {
    const c = 20 + (t % 400) + 5 * Math.sin(d / 50 + t);
    const o = c * (1 + 0.01 * Math.sin(d * 0.37 + t));
    bars.push({
      ticker: `L${String(t).padStart(4, '0')}`, date: new Date(day0 + d * 86_400_000).toISOString().slice(0, 10),
      open: o.toFixed(4), high: (Math.max(o, c) * 1.006).toFixed(4), low: (Math.min(o, c) * 0.994).toFixed(4), close: c.toFixed(4),
      volume: 100_000 + ((t * 7919 + d * 104_729) % 9_000_000) + bump,
    });
  }
  return bars;
}

const rawUpsert = (table: string) => `INSERT INTO ${table} AS m (ticker, date, open, high, low, close, volume)
SELECT * FROM unnest($1::varchar[], $2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::bigint[])
ON CONFLICT (ticker, date) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
  close = EXCLUDED.close, volume = EXCLUDED.volume, updated_at = now()
WHERE (m.open, m.high, m.low, m.close, m.volume) IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)`;

/**
 * Rows per second of each of `works` over every ticker, timing only the work itself. The works
 * take each ticker in turn, the first of them alternating, so a host whose speed drifts within a
 * minute slows them alike: passes of one work after the other put the loader and the raw
 * statement seconds apart, and a case's ratio moved widely either side of 1 with the same code.
 */
async function pass(tickers: number, days: number, bump: number, works: ((bars: Bar[]) => Promise<unknown>)[]): Promise<number[]> {
  const ns = works.map(() => 0n);
  for (let t = 1; t <= tickers; t++) {
    const bars = tickerBars(t, days, bump);
    const order = works.map((_, i) => i);
    if (t % 2 === 0) order.reverse();
    for (const i of order) {
      const start = process.hrtime.bigint();
      await works[i]!(bars);
      ns[i]! += process.hrtime.bigint() - start;
    }
  }
  return ns.map((n) => (tickers * days) / (Number(n) / 1e9));
}

/** The raw statement for one ticker: its column arrays are made before the clock starts. */
function raw(client: pg.Client, table: string): (bars: Bar[]) => Promise<unknown> {
  const text = rawUpsert(table);
  return (bars) => {
    const values = [bars.map((b) => b.ticker), bars.map((b) => b.date), bars.map((b) => b.open), bars.map((b) => b.high),
      bars.map((b) => b.low), bars.map((b) => b.close), bars.map((b) => b.volume)];
    return client.query({ name: `raw_${table}`, text, values });
  };
}

/**
 * Every case, loader and raw, on the same rows; `loaderUrl` and `rawUrl` are scratch databases.
 * `plain` adds the raw statement into a table without triggers (a reference, not a target).
 */
export async function loaderCases(loaderUrl: string, rawUrl: string, tickers: number, days: number, plain: boolean): Promise<LoaderResult[]> {
  const db = await openPostgres({ url: loaderUrl, poolSize: 2 });
  const rawDb = await openPostgres({ url: rawUrl, poolSize: 1 });
  const loaderClient = new pg.Client({ connectionString: loaderUrl });
  const client = new pg.Client({ connectionString: rawUrl });
  await loaderClient.connect();
  await client.connect();
  try {
    await migrate(db);
    await migrate(rawDb);
    await client.query('DROP TABLE IF EXISTS plain_ingest');
    await client.query('CREATE TABLE plain_ingest (LIKE market_data INCLUDING ALL)');
    await loaderClient.query('TRUNCATE market_data RESTART IDENTITY');
    await client.query('TRUNCATE market_data RESTART IDENTITY');
    const vacuum = async () => {
      await compactAndVacuum(loaderClient);
      await compactAndVacuum(client);
      await client.query('VACUUM ANALYZE plain_ingest');
    };
    const plan: [LoaderCase, number][] = [['new', 0], ['changed', 1], ['unchanged', 1]];
    const results: LoaderResult[] = [];
    await vacuum();
    // The raw statement is handed the same work, not the same code: the loader's own steps
    // (deduplicating, building the columns, the transaction, counting) are what is compared.
    const rawBars = raw(client, 'market_data');
    const plainBars = raw(client, 'plain_ingest');
    for (const [kase, bump] of plan) {
      const [loader, rawRate] = await pass(tickers, days, bump, [(bars) => loadBars(db, bars), rawBars]) as [number, number];
      const plainRate = plain ? Math.round((await pass(tickers, days, bump, [plainBars]))[0]!) : undefined;
      results.push({ case: kase, loader_rows_per_s: Math.round(loader), raw_rows_per_s: Math.round(rawRate), plain_rows_per_s: plainRate, ratio: loader / rawRate });
      await vacuum();
    }
    return results;
  } finally {
    await loaderClient.end();
    await client.end();
    await db.close();
    await rawDb.close();
  }
}
