// `npm run bench`: the service against the database's own ceilings, on this machine, in one run.
//   1. HTTP scenarios s1–s6 (and a cursor page at depth 1,000,000) against the service
//      (WORKERS=BENCH_WORKERS, pool 16 each), and pgbench replaying the
//      same SQL with the same client counts — BENCH_RUNS times each, medians reported;
//   2. the loader against the raw unnest upsert (new, changed, unchanged rows);
//   3. a 2.5M-row backfill from a local fake Alpha Vantage through `npm run etl`: time, peak memory;
//   4. the embedded database, before (PGlite on the service's thread, BENCH_BASELINE) and after
//      (its worker) in the same run: s1, s4, s6 req/s, health while an export streams, and s1's
//      p99 while the service loads 500k rows against its idle p99;
//   5. (`replicas`, not in the default set) s1 and s6 on a private primary alone against the same
//      primary with two streaming replicas, alternating in one run (bench/lib/replicas.ts).
//   6. the data-quality report (every ticker, and one ticker's findings) over 500 × 5,000 bars on
//      the server and on the embedded database (BENCH_PARTS=quality; not in the default parts).
//   7. (BENCH_PARTS import,export; not in the default set) a bulk import of one long CSV against
//      plain COPY of the same file, then CSV and Parquet exports of those rows (bench/lib/bulk.ts).
// Prints a table, writes bench/results/<time>.json, exits 1 if a target it measures is missed.
// Env: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/md_bench), BENCH_RUNS=3,
// BENCH_SECONDS=4, BENCH_WARMUP=1, BENCH_PARTS=http,loader,backfill,pglite, BENCH_WORKERS=1, BENCH_BASELINE=<commit>,
// BENCH_IMPORT_TICKERS=500, BENCH_IMPORT_DAYS=5000, BENCH_EXPORT_FORMATS=csv,parquet,csv,parquet.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { encodeCursor } from '../src/http/cursor.ts';
import { HAVE_WRK, load, type LoadResult, type Scenario, type Target } from './lib/http-load.ts';
import { baselineTree, compareEmbedded } from './lib/embedded.ts';
import { backfill, dropPgliteTemplate, FAKE_KEY, pgliteUnderLoad, type PgliteResult } from './lib/ingest.ts';
import { exportBench, importBench } from './lib/bulk.ts';
import { loaderCases } from './lib/loader.ts';
import { qualityOnPglite, qualityOnServer } from './lib/quality.ts';
import { pgbench, type SqlScenario } from './lib/pgbench.ts';
import { replicaPart } from './lib/replicas.ts';
import { ROOT, startFake, startService } from './lib/process.ts';
import { compactAndVacuum, createDatabase, dropDatabase, ensureSeeded } from './lib/seed.ts';

const env = process.env;
const URL_ = env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/md_bench';
const RUNS = Number(env.BENCH_RUNS ?? 3);
const SECONDS = Number(env.BENCH_SECONDS ?? 4);
const WARMUP = Number(env.BENCH_WARMUP ?? 1);
const WORKERS = env.BENCH_WORKERS ?? '1';
const PARTS = new Set((env.BENCH_PARTS ?? 'http,loader,backfill,pglite').split(','));
const DATASET = { tickers: 500, days: 5000, endDate: '2024-12-31' };
const CONNECTIONS = 32;
const DEEP_CONNECTIONS = 4; // s3, as the peer harness runs it
const withDb = (suffix: string) => { const u = new URL(URL_); u.pathname = `${u.pathname}_${suffix}`; return u.toString(); };
const log = (line: string) => process.stderr.write(`${line}\n`);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
const medianResult = (rs: LoadResult[]): LoadResult => ({
  rps: median(rs.map((r) => r.rps)), p50_ms: median(rs.map((r) => r.p50_ms)), p99_ms: median(rs.map((r) => r.p99_ms)),
  errors: rs.reduce((n, r) => n + r.errors + r.non2xx, 0), requests: rs.reduce((n, r) => n + r.requests, 0), non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
});

// What the FastAPI peer measured on this kind of machine (issue 4; ../shared/peer/RESULTS.md run 3).
// Only for orientation: the live comparison is ../shared/peer/compare.sh.
const PEER_RECORDED: Record<string, number> = { s1: 319.8, s2: 13.7, s3: 1.7, s4: 1679, s5: 3368, s6: 723 };

interface Check { name: string; value: number; limit: number; ok: boolean; text: string }
const checks: Check[] = [];
const check = (name: string, value: number, op: '>=' | '<=', limit: number, text: string) =>
  checks.push({ name, value, limit, ok: op === '>=' ? value >= limit : value <= limit, text });

const results: Record<string, unknown> = {
  started_at: new Date().toISOString(), machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  settings: { workers: Number(WORKERS), runs: RUNS, seconds: SECONDS, warmup: WARMUP, connections: CONNECTIONS, deep_connections: DEEP_CONNECTIONS, load_generator: HAVE_WRK ? 'wrk' : 'autocannon', dataset: DATASET },
};

/**
 * Two scenarios measured in alternating slices, a then b, four times, for 2 × SECONDS each in all:
 * a host whose speed drifts then slows both alike. Slices of 1 s or less would measure wrk's
 * connection start-up more than the service.
 */
async function interleaved(target: Target, a: Scenario, b: Scenario, connections: number): Promise<[LoadResult, LoadResult]> {
  const slices: [LoadResult[], LoadResult[]] = [[], []];
  for (let i = 0; i < 4; i++) {
    for (const [k, scenario] of [a, b].entries()) {
      slices[k]!.push(await load(target, scenario, connections, SECONDS / 2, i === 0 ? WARMUP : 0));
    }
  }
  const sum = (rs: LoadResult[], key: 'errors' | 'requests' | 'non2xx') => rs.reduce((n, r) => n + r[key], 0);
  const combine = (rs: LoadResult[]): LoadResult => ({
    rps: rs.reduce((n, r) => n + r.rps, 0) / rs.length, // slices of equal length
    p50_ms: median(rs.map((r) => r.p50_ms)), p99_ms: median(rs.map((r) => r.p99_ms)),
    errors: sum(rs, 'errors'), requests: sum(rs, 'requests'), non2xx: sum(rs, 'non2xx'),
  });
  return [combine(slices[0]), combine(slices[1])];
}

async function httpPart(): Promise<void> {
  await ensureSeeded(URL_, DATASET, log);
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  const q = async (sql: string) => (await client.query(sql)).rows[0];
  const { first, last } = await q(`SELECT to_char(min(date), 'YYYY-MM-DD') AS first, to_char(max(date), 'YYYY-MM-DD') AS last FROM market_data WHERE ticker = 'T0001'`);
  const deep = await q(`SELECT to_char(date, 'YYYY-MM-DD') AS date, ticker FROM market_data ORDER BY date DESC, ticker ASC OFFSET 999999 LIMIT 1`);
  const pgVersion = (await q('SHOW server_version')).server_version;
  results.postgres = pgVersion;
  const cursorAt = { date: deep.date as string, ticker: deep.ticker as string };
  const cursor = encodeCursor({ ...cursorAt, order: 'desc', page: 20_001, interval: '1d' });
  const maxId = DATASET.tickers * DATASET.days;
  const span = Math.round((Date.parse(last) - Date.parse(first)) / 86_400_000) - 364;

  const scenarios: [string, Scenario, SqlScenario, number][] = [
    ['s1', { kind: 's1' }, 's1', CONNECTIONS],
    // Adjusted for splits and dividends (a few splits and quarterly dividends per ticker, seeded).
    ['s1t', { kind: 's1t' }, 's1t', CONNECTIONS],
    // 20 years of one ticker as weekly bars derived from its ~5,000 daily bars (no stored weekly bars).
    ['w20', { kind: 'static', path: '/api/v1/market-data?ticker=T0001&interval=1w' }, 'w20', CONNECTIONS],
    ['s2', { kind: 'static', path: '/api/v1/market-data?page=1&size=50' }, 's2', CONNECTIONS],
    // The cursor page right after page 1, which it is compared with: same conditions, paired.
    ['s3c', { kind: 'static', path: `/api/v1/market-data?size=50&cursor=${cursor}` }, 's3c', CONNECTIONS],
    ['s3', { kind: 'static', path: '/api/v1/market-data?page=20000&size=50' }, 's3', DEEP_CONNECTIONS],
    ['s4', { kind: 's4' }, 's4', CONNECTIONS],
    ['s5', { kind: 'static', path: '/api/v1/health' }, 's5', CONNECTIONS],
    ['s6', { kind: 's6' }, 's6', CONNECTIONS],
  ];
  const http: Record<string, LoadResult[]> = {};
  const sql: Record<string, LoadResult[]> = {};
  const service = await startService({ DATABASE_URL: URL_, WORKERS, DATABASE_POOL_SIZE: '16', LOG_LEVEL: 'warn', ETL_ENABLED: 'false' });
  try {
    // The API's answer must be right, not only fast: the total is exact.
    const body = await (await fetch(`${service.url}/api/v1/market-data?page=1&size=50`)).json() as { total: number };
    const exact = Number((await q('SELECT count(*) AS n FROM market_data')).n);
    if (body.total !== exact) throw new Error(`total ${body.total} != count(*) ${exact}`);
    // A fresh service opens its pool's connections and compiles its hot paths in its first
    // seconds under load; that start-up is not what the first scenario measures.
    if (WARMUP > 0) await load({ url: service.url, ntickers: DATASET.tickers, firstDate: first, lastDate: last, maxId, tag: 'start' }, { kind: 's1' }, CONNECTIONS, 3 * WARMUP, 0);
    for (let run = 1; run <= RUNS; run++) {
      for (const [name, scenario, sqlScenario, connections] of scenarios) {
        const target: Target = { url: service.url, ntickers: DATASET.tickers, firstDate: first, lastDate: last, maxId, tag: `${Date.now().toString(36).slice(-4)}${run}` };
        // Page 1 and the cursor page are compared with each other, 1.2× apart at most: twice the
        // time each, and interleaved in quarters (see interleaved), so that the host's drift over
        // tens of seconds does not decide the comparison.
        if (name === 's2') {
          const cursorScenario = scenarios.find(([n]) => n === 's3c')!;
          const [page1, cursorPage] = await interleaved(target, scenario, cursorScenario[1], connections);
          (http.s2 ??= []).push(page1);
          (http.s3c ??= []).push(cursorPage);
        } else if (name !== 's3c') {
          (http[name] ??= []).push(await load(target, scenario, connections, SECONDS, WARMUP));
        }
        if (WARMUP > 0) await pgbench(URL_, sqlScenario, cursorAt, { ntickers: DATASET.tickers, firstDate: first, span, maxId }, connections, WARMUP);
        (sql[name] ??= []).push(await pgbench(URL_, sqlScenario, cursorAt, { ntickers: DATASET.tickers, firstDate: first, span, maxId }, connections, SECONDS));
        log(`run ${run} ${name}: service ${http[name]!.at(-1)!.rps.toFixed(0)} req/s, p99 ${http[name]!.at(-1)!.p99_ms.toFixed(1)} ms; sql ${sql[name]!.at(-1)!.rps.toFixed(0)} tps`);
      }
      await client.query(`DELETE FROM market_data WHERE ticker LIKE 'ZZ%'`);
      await compactAndVacuum(client);
    }
  } finally {
    await service.stop();
    await client.query(`DELETE FROM market_data WHERE ticker LIKE 'ZZ%'`).catch(() => {});
    await client.end();
  }
  const table = Object.fromEntries(scenarios.map(([name]) => {
    const service = medianResult(http[name]!);
    const db = medianResult(sql[name]!);
    return [name, { service, sql: db, of_sql: service.rps / db.rps, vs_peer_recorded: PEER_RECORDED[name] ? service.rps / PEER_RECORDED[name]! : null, runs: http[name] }];
  }));
  results.http = table;
  const t = table as Record<string, { service: LoadResult; sql: LoadResult }>;
  check('s1 ≥ 50% of its SQL in pgbench', t.s1!.service.rps / t.s1!.sql.rps, '>=', 0.5, `${t.s1!.service.rps.toFixed(0)} req/s vs ${t.s1!.sql.rps.toFixed(0)} tps`);
  check('s1 p99 ≤ 30 ms', t.s1!.service.p99_ms, '<=', 30, `${t.s1!.service.p99_ms.toFixed(1)} ms`);
  // Paired per run, as the cursor page below: the median of each run's ratio.
  const adjustedShare = median(http.s1t!.map((r, i) => r.rps / http.s1![i]!.rps));
  check('s1 adjusted for splits and dividends ≥ 70% of s1', adjustedShare, '>=', 0.7,
    `${(adjustedShare * 100).toFixed(0)}% (medians ${t.s1t!.service.rps.toFixed(0)} vs ${t.s1!.service.rps.toFixed(0)} req/s)`);
  const weeklyCost = median(http.w20!.map((r, i) => r.p50_ms / http.s1![i]!.p50_ms));
  check('20 years of derived weekly bars: p50 ≤ 2× s1 p50', weeklyCost, '<=', 2,
    `${weeklyCost.toFixed(2)}× (medians ${t.w20!.service.p50_ms.toFixed(1)} vs ${t.s1!.service.p50_ms.toFixed(1)} ms)`);
  // Each run's page 1 and cursor page are measured back to back; the median of those paired
  // ratios is steadier than the ratio of two medians (short runs on shared cores vary).
  const cursorCost = median(http.s2!.map((r, i) => r.rps / http.s3c![i]!.rps));
  results.cursor_cost_vs_page1 = cursorCost;
  check('cursor page at depth 1M costs ≤ 1.2× page 1', cursorCost, '<=', 1.2,
    `${cursorCost.toFixed(2)}× (median of runs; medians ${t.s3c!.service.rps.toFixed(0)} vs ${t.s2!.service.rps.toFixed(0)} req/s)`);
  for (const [name] of scenarios) check(`${name}: no errors`, t[name]!.service.errors, '<=', 0, `${t[name]!.service.errors} errors in ${t[name]!.service.requests} requests`);
}

async function loaderPart(): Promise<void> {
  const runs: Awaited<ReturnType<typeof loaderCases>>[] = [];
  await createDatabase(withDb('loader'), true);
  await createDatabase(withDb('loader_raw'), true);
  for (let run = 1; run <= RUNS; run++) {
    runs.push(await loaderCases(withDb('loader'), withDb('loader_raw'), 40, 5000, run === 1)); // 200k rows a case
    log(`run ${run} loader: ${runs.at(-1)!.map((r) => `${r.case} ${(r.ratio * 100).toFixed(0)}%`).join(', ')}`);
  }
  await dropDatabase(withDb('loader'));
  await dropDatabase(withDb('loader_raw'));
  const cases = runs[0]!.map((r, i) => ({
    case: r.case,
    loader_rows_per_s: median(runs.map((x) => x[i]!.loader_rows_per_s)),
    raw_rows_per_s: median(runs.map((x) => x[i]!.raw_rows_per_s)),
    plain_rows_per_s: runs[0]![i]!.plain_rows_per_s, // the first run's only
    ratio: median(runs.map((x) => x[i]!.ratio)),
  }));
  results.loader = cases;
  for (const c of cases) check(`loader, ${c.case} rows ≥ 80% of the raw upsert`, c.ratio, '>=', 0.8, `${c.loader_rows_per_s} vs ${c.raw_rows_per_s} rows/s`);
}

async function ingestParts(): Promise<void> {
  const fake = await startFake(5000, FAKE_KEY);
  try {
    if (PARTS.has('backfill')) {
      log('backfill: 500 tickers × 5000 days through npm run etl…');
      const b = await backfill(withDb('backfill'), fake.url, 500);
      results.backfill = b;
      log(`backfill: ${b.rows} rows in ${b.seconds.toFixed(1)} s, peak RSS ${b.peak_rss_mb.toFixed(0)} MB`);
      check('backfill of 2.5M rows ≤ 60 s', b.seconds, '<=', 60, `${b.rows} rows in ${b.seconds.toFixed(1)} s (${Math.round(b.rows / b.seconds)} rows/s)`);
      check('backfill peak RSS ≤ 300 MB', b.peak_rss_mb, '<=', 300, `${b.peak_rss_mb.toFixed(0)} MB`);
      check('backfill loaded every row', b.rows, '>=', 2_500_000, `${b.rows} rows`);
    }
    if (PARTS.has('pglite')) {
      const baseline = baselineTree();
      try {
        if (baseline.root) {
          const e = await compareEmbedded(baseline.root, CONNECTIONS, SECONDS, WARMUP, RUNS, log);
          results.embedded = e;
          for (const [name, floor] of [['s1', 0.9], ['s4', 0.7], ['s6', 0.7]] as const) {
            const r = e.throughput[name]!;
            check(`PGlite: ${name} in its worker ≥ ${floor * 100}% of in-process`, r.ratio, '>=', floor, `${r.after.rps.toFixed(0)} vs ${r.before.rps.toFixed(0)} req/s (p99 ${r.after.p99_ms.toFixed(1)} vs ${r.before.p99_ms.toFixed(1)} ms)`);
          }
          const h = e.health_during_export;
          check('PGlite: health during an unfiltered export ≤ 100 ms, every probe', h.after.max_ms, '<=', 100,
            `max ${h.after.max_ms.toFixed(0)} ms over ${h.after.probes} probes (in-process: ${h.before.max_ms.toFixed(0)} ms); export ${h.after.export_ms} vs ${h.before.export_ms} ms`);
        } else {
          results.embedded = { note: baseline.note };
          log(baseline.note!);
        }
        const summarise = (runs: PgliteResult[]) => ({ runs, ratio: median(runs.map((r) => r.ratio)), idle_p99_ms: median(runs.map((r) => r.idle.p99_ms)), loading_p99_ms: median(runs.map((r) => r.loading.p99_ms)) });
        const after: PgliteResult[] = [];
        const before: PgliteResult[] = [];
        for (let run = 1; run <= RUNS; run++) {
          for (const [side, runs, root] of [['after', after, undefined], ['before', before, baseline.root]] as const) {
            if (side === 'before' && !root) continue;
            runs.push(await pgliteUnderLoad(fake.url, 100, CONNECTIONS, SECONDS, WARMUP, root));
            const r = runs.at(-1)!;
            log(`run ${run} pglite ${side}: s1 p99 idle ${r.idle.p99_ms.toFixed(1)} ms, loading ${r.loading.p99_ms.toFixed(1)} ms (${r.rows_loaded_while_measured} rows loaded meanwhile${r.load_ended_early ? `, the load ended before the measurement did: ${r.load_status}` : ''})`);
          }
        }
        results.pglite = { ...summarise(after), before: before.length ? summarise(before) : undefined };
        const a = summarise(after);
        check('PGlite: s1 p99 during a 500k-row load ≤ 2× idle', a.ratio, '<=', 2, `${a.loading_p99_ms.toFixed(1)} vs ${a.idle_p99_ms.toFixed(1)} ms` +
          (before.length ? ` (in-process: ${summarise(before).loading_p99_ms.toFixed(1)} vs ${summarise(before).idle_p99_ms.toFixed(1)} ms)` : ''));
      } finally {
        dropPgliteTemplate();
        if (baseline.root) fs.rmSync(baseline.root, { recursive: true, force: true });
      }
    }
  } finally {
    await fake.stop();
  }
}

async function qualityPart(): Promise<void> {
  const server = await qualityOnServer(URL_, DATASET, RUNS, log);
  log(`quality on the server: every ticker ${server.all_ms.toFixed(0)} ms, one ticker ${server.one_ms.toFixed(0)} ms`);
  const embedded = await qualityOnPglite(DATASET, RUNS, log);
  log(`quality embedded: every ticker ${embedded.all_ms.toFixed(0)} ms, one ticker ${embedded.one_ms.toFixed(0)} ms`);
  results.quality = { server, embedded };
  check('quality report, 500 × 5,000, server ≤ 1 s', server.all_ms, '<=', 1000, `${server.all_ms.toFixed(0)} ms (one ticker ${server.one_ms.toFixed(0)} ms)`);
  check('quality report, 500 × 5,000, embedded ≤ 5 s', embedded.all_ms, '<=', 5000, `${embedded.all_ms.toFixed(0)} ms (one ticker ${embedded.one_ms.toFixed(0)} ms)`);
}

async function bulkParts(): Promise<void> {
  const tickers = Number(env.BENCH_IMPORT_TICKERS ?? 500);
  const days = Number(env.BENCH_IMPORT_DAYS ?? 5000);
  const url = withDb('import');
  log(`import: ${tickers} tickers × ${days} days from one long CSV…`);
  const i = await importBench(url, tickers, days, log);
  results.import = i;
  check('bulk import ≥ 80% of plain COPY rows/s', i.ratio, '>=', 0.8,
    `${i.import_rows_per_s} vs ${i.copy_rows_per_s} rows/s (${i.rows} rows; COPY straight into market_data ${i.copy_into_market_data_rows_per_s})`);
  check('bulk import peak RSS ≤ 300 MB', i.peak_rss_mb, '<=', 300, `${i.peak_rss_mb.toFixed(0)} MB`);
  if (!PARTS.has('export')) return dropDatabase(url);
  const e = await exportBench(url, i.rows, (env.BENCH_EXPORT_FORMATS ?? 'csv,parquet,csv,parquet').split(','), log);
  results.export = e;
  const mean = (format: string, k: 'rows_per_s' | 'bytes') => { const xs = e.filter((x) => x.format === format); return xs.reduce((a, x) => a + x[k], 0) / xs.length; };
  check('Parquet export rows/s ≥ CSV export rows/s', mean('parquet', 'rows_per_s') / mean('csv', 'rows_per_s'), '>=', 1,
    `${Math.round(mean('parquet', 'rows_per_s'))} vs ${Math.round(mean('csv', 'rows_per_s'))} rows/s`);
  check('Parquet file ≤ 40% of the CSV bytes', mean('parquet', 'bytes') / mean('csv', 'bytes'), '<=', 0.4,
    `${(mean('parquet', 'bytes') / 2 ** 20).toFixed(1)} vs ${(mean('csv', 'bytes') / 2 ** 20).toFixed(1)} MB`);
  const growth = Math.max(...e.map((x) => x.rss_growth_mb));
  check('service RSS growth during an export ≤ 50 MB', growth, '<=', 50, `${growth.toFixed(0)} MB at most; health max ${Math.max(...e.map((x) => x.health_max_ms)).toFixed(0)} ms over ${e.reduce((a, x) => a + x.health_probes, 0)} probes`);
}

const started = Date.now();
if (PARTS.has('import')) await bulkParts();
if (PARTS.has('http')) await httpPart();
if (PARTS.has('loader')) await loaderPart();
if (PARTS.has('backfill') || PARTS.has('pglite')) await ingestParts();
if (PARTS.has('replicas')) {
  const r = await replicaPart({ runs: RUNS, seconds: SECONDS, warmup: WARMUP, connections: CONNECTIONS, log });
  results.replicas = r;
  log(`replicas: s1 ${r.s1.replicas.rps.toFixed(0)} vs ${r.s1.primary.rps.toFixed(0)} req/s alone (${r.s1.ratio.toFixed(2)}×), ` +
    `s6 ${r.s6.replicas.rps.toFixed(0)} vs ${r.s6.primary.rps.toFixed(0)} (${r.s6.ratio.toFixed(2)}×); reads by server ${JSON.stringify(r.reads_by_server)}`);
  const errors = ['s1', 's6'].reduce((n, k) => n + r[k as 's1' | 's6'].replicas.errors + r[k as 's1' | 's6'].replicas.non2xx, 0);
  check('replicas: no errors with DATABASE_READ_URLS', errors, '<=', 0, `${errors} errors or non-2xx`);
}
if (PARTS.has('quality')) await qualityPart();
results.seconds = Math.round((Date.now() - started) / 1000);
results.checks = checks;

const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
if (results.http) {
  console.log(`\n| scenario | service req/s | p50 / p99 ms | SQL alone (pgbench) tps | service ÷ SQL | ÷ recorded FastAPI |\n|---|---|---|---|---|---|`);
  for (const [name, r] of Object.entries(results.http as Record<string, { service: LoadResult; sql: LoadResult; of_sql: number; vs_peer_recorded: number | null }>)) {
    console.log(`| ${name} | ${fmt(r.service.rps)} | ${fmt(r.service.p50_ms, 1)} / ${fmt(r.service.p99_ms, 1)} | ${fmt(r.sql.rps)} | ${fmt(r.of_sql * 100)}% | ${r.vs_peer_recorded ? `${fmt(r.vs_peer_recorded, 1)}×` : '-'} |`);
  }
}
if (results.loader) {
  console.log(`\n| loader case | loader rows/s | raw upsert rows/s | loader ÷ raw | raw into a plain table (no triggers; first run) |\n|---|---|---|---|---|`);
  for (const c of results.loader as { case: string; loader_rows_per_s: number; raw_rows_per_s: number; plain_rows_per_s: number; ratio: number }[]) {
    console.log(`| ${c.case} | ${c.loader_rows_per_s} | ${c.raw_rows_per_s} | ${fmt(c.ratio * 100)}% | ${c.plain_rows_per_s} |`);
  }
}
const embedded = results.embedded as { throughput?: Record<string, { before: LoadResult; after: LoadResult; ratio: number }> } | undefined;
if (embedded?.throughput) {
  console.log(`\n| embedded database | in-process req/s (p99 ms) | worker req/s (p99 ms) | worker ÷ in-process |\n|---|---|---|---|`);
  for (const [name, r] of Object.entries(embedded.throughput)) {
    console.log(`| ${name} | ${fmt(r.before.rps)} (${fmt(r.before.p99_ms, 1)}) | ${fmt(r.after.rps)} (${fmt(r.after.p99_ms, 1)}) | ${fmt(r.ratio * 100)}% |`);
  }
}
console.log(`\n| target | measured | |\n|---|---|---|`);
for (const c of checks) console.log(`| ${c.name} | ${c.text} | ${c.ok ? 'met' : '**MISSED**'} |`);
const file = path.join(ROOT, 'bench', 'results', `${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\n${results.seconds} s; ${path.relative(ROOT, file)}`);
process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
