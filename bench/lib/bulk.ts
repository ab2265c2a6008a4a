// Bulk files in and out, on the server, in one run:
//   import: one long CSV (every ticker's bars, date by date, as a vendor dump) through
//           `market-data import` (time, peak RSS of that process) against plain COPY of the same
//           file into a bare table without indexes, timed before and after the import (the mean:
//           the host's speed drifts); and, for scale, COPY of it straight into the empty
//           market_data (its indexes, checks and triggers; no validation, no merge), emptied again;
//   export: the imported rows out of the service in each format of `formats` (BENCH_EXPORT_FORMATS,
//           csv,parquet,csv,parquet by default) — rows/s, bytes, the service's RSS growth while
//           each streams, and health probes answered meanwhile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { migrate, openPostgres } from '../../src/db/index.ts';
import { runCli, startService } from './process.ts';
import { createDatabase, dropDatabase } from './seed.ts';

export interface ImportBench {
  rows: number; file_mb: number; import_s: number; import_rows_per_s: number; peak_rss_mb: number;
  copy_s: number[]; copy_rows_per_s: number; ratio: number; exit_code: number | null;
  /** COPY straight into market_data: what its indexes and triggers alone allow. */
  copy_into_market_data_s: number; copy_into_market_data_rows_per_s: number;
}
export interface ExportBench { format: string; rows: number; seconds: number; rows_per_s: number; bytes: number; rss_growth_mb: number; health_max_ms: number; health_probes: number }

const day0 = Date.UTC(2000, 0, 3);

/** tickers × days rows, date by date across tickers; prices with up to 4 places, volumes some above 2^31. */
function writeLongCsv(file: string, tickers: number, days: number): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'ticker,date,open,high,low,close,volume\n');
  for (let d = 0; d < days; d++) {
    const date = new Date(day0 + d * 86_400_000).toISOString().slice(0, 10);
    let chunk = '';
    for (let t = 1; t <= tickers; t++) {
      const c = 20 + (t % 400) + 5 * Math.sin(d / 50 + t);
      const o = c * (1 + 0.01 * Math.sin(d * 0.37 + t));
      chunk += `K${String(t).padStart(4, '0')},${date},${o.toFixed(4)},${(Math.max(o, c) * 1.006).toFixed(4)},${(Math.min(o, c) * 0.994).toFixed(4)},${c.toFixed(4)},${100_000 + ((t * 7919 + d * 104_729) % 3_000_000_000)}\n`;
    }
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
}

async function plainCopy(url: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS bare_copy');
    await client.query('CREATE TABLE bare_copy (ticker varchar(16), date date, open numeric(15,6), high numeric(15,6), low numeric(15,6), close numeric(15,6), volume bigint)');
    const started = process.hrtime.bigint();
    await pipeline(fs.createReadStream(file), client.query(copyFrom('COPY bare_copy FROM STDIN (FORMAT csv, HEADER true)')));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await client.query('DROP TABLE bare_copy');
    return seconds;
  } finally {
    await client.end();
  }
}

/** COPY of the file into the empty market_data itself, timed, then TRUNCATE (its triggers reset the counts). */
async function copyIntoMarketData(url: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = process.hrtime.bigint();
    await pipeline(fs.createReadStream(file), client.query(copyFrom('COPY market_data (ticker, date, open, high, low, close, volume) FROM STDIN (FORMAT csv, HEADER true)')));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await client.query('TRUNCATE market_data');
    await client.query('VACUUM market_data');
    return seconds;
  } finally {
    await client.end();
  }
}

/** The import against plain COPY; leaves the imported database for the export part. */
export async function importBench(url: string, tickers: number, days: number, log: (line: string) => void): Promise<ImportBench> {
  const file = path.join(os.tmpdir(), `bench-long-${process.pid}.csv`);
  writeLongCsv(file, tickers, days);
  try {
    await createDatabase(url, true);
    const db = await openPostgres({ url, poolSize: 1 });
    await migrate(db);
    await db.close();
    const rows = tickers * days;
    const copyBefore = await plainCopy(url, file);
    log(`import: plain COPY of ${rows} rows in ${copyBefore.toFixed(1)} s`);
    const intoMarketData = await copyIntoMarketData(url, file);
    log(`import: COPY straight into market_data in ${intoMarketData.toFixed(1)} s`);
    const { code, seconds: importS, peakMb: peak, output } = await runCli('dist/cli/market-data.js', ['import', file], { DATABASE_URL: url });
    if (code !== 0) throw new Error(`market-data import exited ${code}:\n${output.slice(-3000)}`);
    log(`import: ${rows} rows in ${importS.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MB`);
    const copyAfter = await plainCopy(url, file);
    const copyS = (copyBefore + copyAfter) / 2;
    return {
      rows, file_mb: fs.statSync(file).size / 2 ** 20, import_s: importS, import_rows_per_s: Math.round(rows / importS), peak_rss_mb: peak,
      copy_s: [copyBefore, copyAfter], copy_rows_per_s: Math.round(rows / copyS), ratio: copyS / importS, exit_code: code,
      copy_into_market_data_s: intoMarketData, copy_into_market_data_rows_per_s: Math.round(rows / intoMarketData),
    };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) / 1024;
}

/** Each format's whole export from the service, one after the other; then the database is dropped. */
export async function exportBench(url: string, rows: number, formats: string[], log: (line: string) => void): Promise<ExportBench[]> {
  const service = await startService({ DATABASE_URL: url, WORKERS: '1', LOG_LEVEL: 'warn', ETL_ENABLED: 'false', REQUEST_TIMEOUT_MS: '60000' });
  const out: ExportBench[] = [];
  try {
    for (const format of formats) {
      const base = rssMb(service.proc.pid!);
      let peak = base;
      const sample = setInterval(() => { peak = Math.max(peak, rssMb(service.proc.pid!)); }, 50);
      let healthMax = 0;
      let probes = 0;
      let done = false;
      const health = (async () => {
        while (!done) {
          const t0 = performance.now();
          await (await fetch(`${service.url}/api/v1/health`)).arrayBuffer();
          healthMax = Math.max(healthMax, performance.now() - t0);
          probes++;
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const started = performance.now();
      const res = await fetch(`${service.url}/api/v1/market-data/export?format=${format}&order=asc`);
      let bytes = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
      const seconds = (performance.now() - started) / 1000;
      done = true;
      await health;
      clearInterval(sample);
      out.push({ format, rows, seconds, rows_per_s: Math.round(rows / seconds), bytes, rss_growth_mb: peak - base, health_max_ms: healthMax, health_probes: probes });
      log(`export ${format}: ${rows} rows in ${seconds.toFixed(1)} s, ${(bytes / 2 ** 20).toFixed(1)} MB, RSS +${(peak - base).toFixed(0)} MB, health max ${healthMax.toFixed(0)} ms`);
    }
  } finally {
    await service.stop();
    await dropDatabase(url);
  }
  return out;
}
