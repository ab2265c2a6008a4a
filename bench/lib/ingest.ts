// Two ETL measurements through the real code paths, against the fake Alpha Vantage with the
// limits off: a 2.5M-row backfill by `npm run etl` (time and peak memory of that process), and
// API latency on the embedded database while the service loads 500k rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate, openEmbedded } from '../../src/db/index.ts';
import { load, type LoadResult } from './http-load.ts';
import { runCli, startService } from './process.ts';
import { createDatabase, dropDatabase, seedSql } from './seed.ts';

export const FAKE_KEY = 'BENCH-FAKE-KEY-0001';
// The targets measure daily bars (the bulk of any store): weekly, monthly and corporate actions add
// a few requests and a good share more rows per ticker, and are left out so the figures stay comparable.
const NO_LIMITS = { ALPHA_VANTAGE_MIN_INTERVAL_MS: '0', ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '100000', ALPHA_VANTAGE_REQUESTS_PER_DAY: '100000000', ETL_DATASETS: 'daily' };
const tickerList = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks the fake for every symbol once, so that generating the bodies is not timed. */
export async function warmFake(fakeUrl: string, symbols: string[]): Promise<void> {
  for (let i = 0; i < symbols.length; i += 8) {
    await Promise.all(symbols.slice(i, i + 8).map(async (symbol) => {
      const res = await fetch(`${fakeUrl}?function=TIME_SERIES_DAILY&symbol=${symbol}&outputsize=full&apikey=${FAKE_KEY}`);
      await res.arrayBuffer();
    }));
  }
}

export interface BackfillResult { tickers: number; rows: number; seconds: number; peak_rss_mb: number; exit_code: number | null }

export async function backfill(url: string, fakeUrl: string, tickers: number): Promise<BackfillResult> {
  await createDatabase(url, true);
  const symbols = tickerList('B', tickers);
  await warmFake(fakeUrl, symbols);
  const { code, seconds, peakMb: peak, output } = await runCli('dist/cli/etl.js', ['--tickers', symbols.join(','), '--full'], {
    DATABASE_URL: url, ALPHA_VANTAGE_BASE_URL: fakeUrl, ALPHA_VANTAGE_API_KEY: FAKE_KEY, ...NO_LIMITS,
  });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows = Number((await client.query('SELECT count(*) AS n FROM market_data')).rows[0].n);
  await client.end();
  await dropDatabase(url);
  if (code !== 0) throw new Error(`npm run etl exited ${code}:\n${output.slice(-3000)}`);
  return { tickers, rows, seconds, peak_rss_mb: peak, exit_code: code };
}

export interface PgliteResult {
  idle: LoadResult; loading: LoadResult; rows_loaded_while_measured: number; ratio: number;
  /** The reference (an older commit) may load faster than the measurement lasts: its figure then covers part of it. */
  load_ended_early?: boolean;
  load_status?: string;
}

let template: { dir: string; firstDate: string; lastDate: string } | undefined;

/** An embedded database with 100 tickers × 2,000 days, made once and copied for every run. */
export async function seededPglite(): Promise<{ dir: string; firstDate: string; lastDate: string }> {
  if (!template) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-bench-pglite-template-'));
    const db = await openEmbedded(dir, { statementTimeoutMs: 0 }); // seeding 200k rows is one long statement
    try {
      await migrate(db);
      await db.exec(seedSql({ tickers: 100, days: 2000, endDate: '2024-12-31' }));
      await db.query('SELECT market_data_compact_counts()');
      await db.query('SELECT fold_derived_bars()'); // as a service would have long since
      await db.exec('VACUUM ANALYZE market_data');
      const { rows } = await db.query<{ first: string; last: string }>(`SELECT min(date) AS first, max(date) AS last FROM market_data`);
      template = { dir, firstDate: rows[0]!.first, lastDate: rows[0]!.last };
    } finally {
      await db.close();
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-bench-pglite-'));
  fs.cpSync(template.dir, dir, { recursive: true });
  return { ...template, dir };
}

export function dropPgliteTemplate(): void {
  if (template) fs.rmSync(template.dir, { recursive: true, force: true });
  template = undefined;
}

/**
 * s1 against the service on PGlite: idle, then while POST /etl/run loads `loadTickers` × 5,000
 * rows. The load only has to outlast the measurement; the service is stopped after it.
 */
export async function pgliteUnderLoad(fakeUrl: string, loadTickers: number, connections: number, seconds: number, warmup: number, root?: string): Promise<PgliteResult> {
  const { dir, firstDate, lastDate } = await seededPglite();
  try {
    const symbols = tickerList('P', loadTickers);
    await warmFake(fakeUrl, symbols);
    const service = await startService({ DATA_DIR: dir, ETL_ENABLED: 'false', LOG_LEVEL: 'warn', ALPHA_VANTAGE_BASE_URL: fakeUrl, ALPHA_VANTAGE_API_KEY: FAKE_KEY, ...NO_LIMITS }, root);
    try {
      const target = { url: service.url, ntickers: 100, firstDate, lastDate, maxId: 200_000, tag: 'PGL' };
      // As for the server scenarios: a start-up warm-up (JIT, the database's cache), then three times
      // the usual length for both halves. Every wrk run opens its 32 connections at once, Node
      // accepts one per turn of the event loop (strace: one accept4 per turn), and on PGlite each
      // turn holds the thread for a statement: the last connection's first answer comes long after
      // its request, and wrk's coordinated-omission correction counts each such wait many times
      // over. In short halves that start-up alone decided the idle p99; the longer the half, the
      // less of its p99 it decides.
      if (warmup > 0) await load(target, { kind: 's1' }, connections, 3 * warmup, 0);
      const idle = await load(target, { kind: 's1' }, connections, 3 * seconds, 0);
      let finished = false;
      const run = fetch(`${service.url}/api/v1/etl/run?tickers=${symbols.join(',')}&incremental=false`, { method: 'POST' })
        .then((res) => res.arrayBuffer(), () => undefined).finally(() => { finished = true; });
      await sleep(500); // the run starts
      // The loading half gets a warm-up too: when it starts, the run has loaded its first tickers
      // flat out (nobody was asking), and the new connections would measure that instant.
      const loading = await load(target, { kind: 's1' }, connections, 3 * seconds, warmup);
      const runs = await (await fetch(`${service.url}/api/v1/etl/runs?size=1`)).json() as { items: { status: string; total_loaded: number }[] };
      const last = runs.items[0];
      if (finished && root) { // the reference: keep its figure, say what became of its load
        return { idle, loading, rows_loaded_while_measured: last?.total_loaded ?? 0, ratio: loading.p99_ms / idle.p99_ms, load_ended_early: true, load_status: last?.status };
      }
      if (finished) throw new Error(`the load ended before the measurement did (${JSON.stringify(last)}); load more rows`);
      if (runs.items[0]?.status !== 'running') throw new Error(`expected the load to be running, found ${JSON.stringify(runs.items[0])}`);
      await service.stop(); // abandons the rest of the load
      await run;
      return { idle, loading, rows_loaded_while_measured: runs.items[0].total_loaded, ratio: loading.p99_ms / idle.p99_ms };
    } finally {
      await service.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
