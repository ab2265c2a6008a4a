// The quality report (src/db/repositories/quality.ts) over the benchmark dataset: every ticker's counts, and
// one ticker's findings, on the server and on the embedded database. The seeded bars lie on
// weekdays, so every holiday is a finding: a report with work to do, not an empty one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Database, migrate, openEmbedded, openPostgres, qualityCounts, qualityOptions, tickerQuality } from '../../src/db/index.ts';
import { ensureSeeded, seedSql, type Dataset } from './seed.ts';

export interface QualityTimes { all_ms: number; one_ms: number; tickers: number; findings: number }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(db: Database, runs: number): Promise<QualityTimes> {
  const options = qualityOptions(new Date('2025-01-02T12:00:00Z'));
  let tickers = 0;
  let findings = 0;
  const all: number[] = [];
  const one: number[] = [];
  for (let i = 0; i <= runs; i++) { // the first run warms the cache and fills exchange_sessions
    let t = performance.now();
    tickers = (await qualityCounts(db, options)).length;
    if (i) all.push(performance.now() - t);
    t = performance.now();
    findings = (await tickerQuality(db, options, 'T0001'))!.findings.length;
    if (i) one.push(performance.now() - t);
  }
  return { all_ms: median(all), one_ms: median(one), tickers, findings };
}

export async function qualityOnServer(url: string, d: Dataset, runs: number, log: (line: string) => void): Promise<QualityTimes> {
  await ensureSeeded(url, d, log);
  const db = await openPostgres({ url, poolSize: 2, statementTimeoutMs: 0 });
  try {
    return await time(db, runs);
  } finally {
    await db.close();
  }
}

export async function qualityOnPglite(d: Dataset, runs: number, log: (line: string) => void): Promise<QualityTimes> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-bench-quality-'));
  const db = await openEmbedded(dir, { statementTimeoutMs: 0 });
  try {
    await migrate(db);
    log(`quality: seeding ${d.tickers} × ${d.days} rows into the embedded database…`);
    await db.exec(seedSql(d));
    await db.exec('VACUUM ANALYZE market_data');
    return await time(db, runs);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
