// The ETL and import commands as users type them (`market-data etl …`, `npm run import -- …` is the
// same command), from the sources, against the fake Alpha Vantage, on both databases.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Database } from '../../src/db/database.ts';
import { syntheticBars } from '../fixtures/alpha-vantage.ts';
import { createServerDatabase, DATABASE_KINDS } from '../helpers/databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage } from '../helpers/fake-alpha-vantage.ts';
import { MARKET_DATA, ROOT } from '../helpers/service.ts';

const KEY = 'AVKEY-cli-test-5551234';

/** `npm run etl -- --tickers X` is `market-data etl --tickers X`: the command line after npm's `--`. */
function npmRun([script, dashes, ...args]: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [node, ...command] = MARKET_DATA;
  return new Promise((resolve) => {
    const child = spawn(node, [...command, script!, ...(dashes === undefined || dashes === '--' ? [] : [dashes]), ...args], {
      cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each(DATABASE_KINDS)('CLI on %s', (kind) => {
  let fake: FakeAlphaVantage;
  let dir: string;
  let env: Record<string, string>;
  let open: () => Promise<Database>;
  let dropServer = async () => {};
  const outputs: string[] = [];
  const run = async (...args: string[]) => {
    const result = await npmRun(args, env);
    outputs.push(result.stdout, result.stderr);
    return result;
  };

  beforeAll(async () => {
    fake = await startFakeAlphaVantage({ key: KEY, symbols: { AAPL: { synthetic: 120 } } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-cli-'));
    env = { ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0' };
    if (kind === 'pglite') {
      env.DATA_DIR = path.join(dir, 'data');
      open = () => openPglite(env.DATA_DIR);
    } else {
      const created = await createServerDatabase();
      env.DATABASE_URL = created.url;
      dropServer = created.drop;
      open = () => openPostgres({ url: created.url, poolSize: 2 });
    }
  });
  afterAll(async () => {
    await fake?.close();
    await dropServer();
    fs.rmSync(dir, { recursive: true, force: true });
    expect(outputs.join('')).not.toContain(KEY);
  });

  it('runs the ETL, a line per ticker and a summary, exit 1 when a ticker failed', async () => {
    const first = await run('etl', '--', '--tickers', 'aapl,BAD');
    expect(first.code).toBe(1);
    const lines = first.stdout.split('\n');
    expect(lines.findIndex((l) => /^AAPL\s+success\s+120 fetched, 120 new, 0 changed, 0 unchanged, 0 rejected$/.test(l))).toBeGreaterThan(0);
    expect(lines.some((l) => /^BAD\s+failed\s+— invalid symbol: Invalid API call/.test(l))).toBe(true);
    expect(first.stdout).toMatch(/ticker\s+status\s+size\s+requests\s+fetched\s+new\s+changed\s+unchanged\s+rejected/);
    expect(first.stdout).toMatch(/^AAPL\s+success\s+full\s+1\s+120\s+120\s+0\s+0\s+0$/m);
    expect(first.stdout).toMatch(/run 1 completed: 1 ok, 1 failed, 0 skipped, 120 rows loaded/);

    const forced = await run('etl', '--', '-t', 'AAPL', '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^AAPL\s+no_new_data\s+120 fetched, 0 new, 0 changed, 120 unchanged/m);
  });

  it('refuses bad arguments with the usage, exit 2', async () => {
    const bad = await run('etl', '--', '--tickers', 'AA PL!');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not tickers .*AA PL!.*\n\nusage: npm run etl/s);
    const unknown = await run('etl', '--', '--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
  });

  it('imports a CSV through the same rules, in either row order, skipping and listing bad rows', async () => {
    const bars = syntheticBars('MSFT', 30);
    const newestFirst = [...bars].reverse();
    const csv = ['timestamp,open,high,low,close,volume', ...newestFirst.map((b) => `${b.date},${b.open},${b.high},${b.low},${b.close},${b.volume}`),
      '2020-02-30,1,1,1,1,1', '2020-03-02,3,2,4,3,10'].join('\r\n');
    const file = path.join(dir, 'msft.csv');
    fs.writeFileSync(file, csv);
    const imported = await run('import', '--', file, '--ticker', 'msft');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^MSFT\s+success\s+32 fetched, 30 new, 0 changed, 0 unchanged, 2 rejected — 2 row\(s\) rejected$/m);
    expect(imported.stdout).toContain('rejected 2020-02-30: date must be a real calendar date');
    expect(imported.stdout).toContain('rejected 2020-03-02: high must not be below low (4)');

    // `date` as the first column's name, oldest first, extra columns: the same rows, nothing changes.
    const other = path.join(dir, 'msft-asc.csv');
    fs.writeFileSync(other, ['date,open,high,low,close,adjusted_close,volume', ...bars.map((b) => `${b.date},${b.open},${b.high},${b.low},${b.close},1,${b.volume}`)].join('\n'));
    const again = await run('import', '--', other, '-t', 'MSFT');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^MSFT\s+no_new_data\s+30 fetched, 0 new, 0 changed, 30 unchanged, 0 rejected/m);

    const headerless = path.join(dir, 'bad.csv');
    fs.writeFileSync(headerless, 'when,o,h,l,c,v\n2024-01-02,1,1,1,1,1\n');
    const refused = await run('import', '--', headerless, '--ticker', 'MSFT');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('bad.csv: the header lacks open, high, low, close, volume, timestamp|date');
    expect((await run('import', '--', file)).code).toBe(2);
    expect((await run('import', '--', path.join(dir, 'missing.csv'), '--ticker', 'X')).stderr).toContain('missing.csv: no such file');
  });

  it('left the history and the rows a user would expect', async () => {
    const db = await open();
    try {
      const { rows } = await db.query<{ ticker: string; n: number }>('SELECT ticker, count(*) AS n FROM market_data GROUP BY ticker ORDER BY ticker');
      expect(rows).toEqual([{ ticker: 'AAPL', n: 120 }, { ticker: 'MSFT', n: 30 }]);
      const runs = await db.query<{ trigger: string; source: string; status: string }>('SELECT trigger, source, status FROM etl_runs ORDER BY id');
      expect(runs.rows).toEqual([
        { trigger: 'cli', source: 'alpha_vantage', status: 'completed' },
        { trigger: 'cli', source: 'alpha_vantage', status: 'completed' },
        { trigger: 'cli', source: 'csv:msft.csv', status: 'completed' },
        { trigger: 'cli', source: 'csv:msft-asc.csv', status: 'completed' },
      ]);
    } finally {
      await db.close();
    }
  });
});
