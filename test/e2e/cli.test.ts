// The ETL and import commands as users type them (`market-data etl …`, `npm run import -- …` is the
// same command), from the sources, against the fake Alpha Vantage, on both databases.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateBars, syntheticBars, syntheticDividends } from '../fixtures/alpha-vantage.ts';
import { createServiceDatabase, DATABASE_KINDS, type ServiceDatabase } from '../helpers/databases.ts';
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

// Each command is a process that starts the embedded database (a worker, seconds on a busy host).
describe.each(DATABASE_KINDS)('CLI on %s', { timeout: 180_000 }, (kind) => {
  let fake: FakeAlphaVantage;
  let database: ServiceDatabase;
  let env: Record<string, string>;
  const outputs: string[] = [];
  const run = async (...args: string[]) => {
    const result = await npmRun(args, env);
    outputs.push(result.stdout, result.stderr);
    return result;
  };

  beforeAll(async () => {
    fake = await startFakeAlphaVantage({ key: KEY, tier: 'premium', symbols: { AAPL: { synthetic: 120 } } });
    database = await createServiceDatabase(kind, 'md-cli-', { dataSubdir: 'data' });
    env = { ...database.env, ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0' };
  });
  afterAll(async () => {
    await fake?.close();
    await database?.drop();
    expect(outputs.join('')).not.toContain(KEY);
  });

  it('runs the ETL, a line per ticker and a summary, exit 1 when a ticker failed', async () => {
    const first = await run('etl', '--', '--tickers', 'aapl,BAD', '--datasets', 'daily');
    expect(first.code).toBe(1);
    const lines = first.stdout.split('\n');
    expect(lines.findIndex((l) => /^AAPL\s+success\s+120 fetched, 120 new, 0 changed, 0 unchanged, 0 rejected$/.test(l))).toBeGreaterThan(0);
    expect(lines.some((l) => /^BAD\s+failed\s+— invalid symbol: Invalid API call/.test(l))).toBe(true);
    expect(first.stdout).toMatch(/ticker\s+status\s+size\s+requests\s+fetched\s+new\s+changed\s+unchanged\s+rejected/);
    expect(first.stdout).toMatch(/^AAPL\s+success\s+full\s+1\s+120\s+120\s+0\s+0\s+0$/m);
    expect(first.stdout).toMatch(/run 1 completed: 1 ok, 1 failed, 0 skipped, 0 deferred, 120 rows loaded, 2 requests/);

    const forced = await run('etl', '--', '-t', 'AAPL', '--force', '-d', 'daily');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^AAPL\s+no_new_data\s+120 fetched, 0 new, 0 changed, 120 unchanged/m);
  });

  it('prints the plan of a run without spending a request, as text or as the API\'s JSON', async () => {
    const before = fake.requests.length;
    const text = await run('etl', '--', '--plan', '-t', 'AAPL,NEWT');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^\d+ request\(s\) for 2 ticker\(s\); budget 25 per New York day, \d+ left today/);
    expect(text.stdout).toMatch(/^NEWT\s+5 request\(s\)$/m);
    // The first run learned that this (premium) key may fetch whole histories.
    expect(text.stdout).toMatch(/^ {2}daily\s+1\s+new ticker: the whole history$/m);
    const json = await run('etl', '--', '--plan', '--json', '-t', 'NEWT');
    expect(JSON.parse(json.stdout)).toMatchObject({ requests: 5, days_needed: 1, tickers: [{ ticker: 'NEWT', requests: 5, datasets: [{ dataset: 'daily', requests: 1 }, {}, {}, {}, {}] }] });
    expect(fake.requests.length).toBe(before);
  });

  it('refuses bad arguments with the usage, exit 2', async () => {
    const bad = await run('etl', '--', '--tickers', 'AA PL!');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not tickers .*AA PL!.*\n\nusage: npm run etl/s);
    const unknown = await run('etl', '--', '--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    const dataset = await run('etl', '--', '--datasets', 'daily,intraday');
    expect(dataset.code).toBe(2);
    expect(dataset.stderr).toMatch(/not datasets \(daily, weekly, monthly, splits, dividends\): intraday/);
  });

  it('imports a CSV through the same rules, in either row order, skipping and listing bad rows', async () => {
    const bars = syntheticBars('MSFT', 30);
    const newestFirst = [...bars].reverse();
    const csv = ['timestamp,open,high,low,close,volume', ...newestFirst.map((b) => `${b.date},${b.open},${b.high},${b.low},${b.close},${b.volume}`),
      '2020-02-30,1,1,1,1,1', '2020-03-02,3,2,4,3,10'].join('\r\n');
    const file = path.join(database.dir, 'msft.csv');
    fs.writeFileSync(file, csv);
    const imported = await run('import', '--', file, '--ticker', 'msft');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^MSFT\s+success\s+32 fetched, 30 new, 0 changed, 0 unchanged, 2 rejected — 2 row\(s\) rejected$/m);
    expect(imported.stdout).toContain('rejected 2020-02-30: date must be a real calendar date');
    expect(imported.stdout).toContain('rejected 2020-03-02: high must not be below low (4)');

    // `date` as the first column's name, oldest first, extra columns: the same rows, nothing changes.
    const other = path.join(database.dir, 'msft-asc.csv');
    fs.writeFileSync(other, ['date,open,high,low,close,adjusted_close,volume', ...bars.map((b) => `${b.date},${b.open},${b.high},${b.low},${b.close},1,${b.volume}`)].join('\n'));
    const again = await run('import', '--', other, '-t', 'MSFT');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^MSFT\s+no_new_data\s+30 fetched, 0 new, 0 changed, 30 unchanged, 0 rejected/m);

    const headerless = path.join(database.dir, 'bad.csv');
    fs.writeFileSync(headerless, 'when,o,h,l,c,v\n2024-01-02,1,1,1,1,1\n');
    const refused = await run('import', '--', headerless, '--ticker', 'MSFT');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('bad.csv: the header lacks open, high, low, close, volume, timestamp|date');
    expect((await run('import', '--', file)).code).toBe(2);
    expect((await run('import', '--', path.join(database.dir, 'missing.csv'), '--ticker', 'X')).stderr).toContain('missing.csv: no such file');
  });

  it('bulk-imports a long CSV: a dry run writes nothing, then rows load per ticker and bad rows are listed', async () => {
    const file = path.join(database.dir, 'long.csv');
    fs.writeFileSync(file, ['ticker,date,open,high,low,close,volume', 'LNGA,2021-01-04,10,11,9,10.5,3000000000', 'LNGB,2021-01-04,20,21,19,20.5,100',
      'LNGA,2021-01-05,10.5,11.25,10,11,200', 'LNGB,2021-01-05,x,21,19,20,100'].join('\n'));
    const dry = await run('import', '--', file, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^LNGA\s+2 rows, 2 new, 0 changed, 0 unchanged$/m);
    expect(dry.stdout).toContain(`rejected ${file}:5 LNGB 2021-01-05: open is not a number`);
    expect(dry.stdout).toMatch(/dry run, nothing written: would load 2 ticker\(s\) from 1 file\(s\): 4 rows read, 1 rejected, 3 new/);
    const loaded = await run('import', '--', file);
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toMatch(/^loaded 2 ticker\(s\) from 1 file\(s\): 4 rows read, 1 rejected, 3 new, 0 changed, 0 unchanged$/m);
    expect(loaded.stderr).not.toContain('reading'); // no progress bar off a terminal
    const again = await run('import', '--', file);
    expect(again.stdout).toMatch(/: 4 rows read, 1 rejected, 0 new, 0 changed, 3 unchanged$/m);
  });

  // The same key, now on the free plan: whole histories were allowed, are refused now, and the
  // run falls back to the newest 100 bars at once.
  it('on a free key, a new ticker gets what such a key may fetch, shown per ticker (plain lines off a terminal)', async () => {
    const free = await startFakeAlphaVantage({ key: KEY, tier: 'free', symbols: { FREE: { synthetic: 300, end: '2025-01-03' } } });
    try {
      const result = await npmRun(['etl', '--', '-t', 'FREE'], { ...env, ALPHA_VANTAGE_BASE_URL: free.url, ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '60' });
      outputs.push(result.stdout, result.stderr);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const bars = syntheticBars('FREE', 300, '2025-01-03');
      const rows = 100 + aggregateBars(bars, '1w').length + aggregateBars(bars, '1mo').length + syntheticDividends('FREE', bars).length;
      expect(result.stdout).toMatch(new RegExp(`^FREE\\s+success\\s+${rows} fetched, ${rows} new, 0 changed, 0 unchanged, 0 rejected$`, 'm'));
      expect(result.stdout).toMatch(/^FREE\s+success\s+compact\s+6\s+/m);
      expect(free.requests.map((r) => r.function)).toEqual(['TIME_SERIES_DAILY', 'TIME_SERIES_DAILY', 'TIME_SERIES_WEEKLY', 'TIME_SERIES_MONTHLY', 'SPLITS', 'DIVIDENDS']);
    } finally {
      await free.close();
    }
  });

  it('reports data quality: a table of every ticker, one ticker as JSON, usage errors exit 2', async () => {
    const all = await run('quality');
    expect([0, 1]).toContain(all.code); // 1 when a ticker's status is error
    expect(all.stdout).toMatch(/^ticker\s+status\s+expected\s+stored\s+missing\s+behind/m);
    expect(all.stdout).toMatch(/^AAPL\s+(ok|warning|error)\s+\d+\s+\d+\s+\d+/m);
    const one = await run('quality', '--', 'aapl', '--json');
    const report = JSON.parse(one.stdout) as { ticker: string; status: string; findings: unknown[] };
    expect(report).toMatchObject({ ticker: 'AAPL', findings: expect.any(Array) });
    expect(one.code).toBe(report.status === 'error' ? 1 : 0);
    const bad = await run('quality', '--', '--start', '2024-01-01');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--start needs a TICKER');
  });

  it('left the history and the rows a user would expect', async () => {
    const db = await database.open();
    try {
      const { rows } = await db.query<{ ticker: string; n: number }>('SELECT ticker, count(*) AS n FROM market_data GROUP BY ticker ORDER BY ticker');
      expect(rows).toEqual([{ ticker: 'AAPL', n: 120 }, { ticker: 'FREE', n: 100 }, { ticker: 'LNGA', n: 2 }, { ticker: 'LNGB', n: 1 }, { ticker: 'MSFT', n: 30 }]);
      // A bulk import is not in the run history.
      const runs = await db.query<{ trigger: string; source: string; status: string }>('SELECT trigger, source, status FROM etl_runs ORDER BY id');
      expect(runs.rows).toEqual([
        { trigger: 'cli', source: 'alpha_vantage', status: 'completed' },
        { trigger: 'cli', source: 'alpha_vantage', status: 'completed' },
        { trigger: 'cli', source: 'csv:msft.csv', status: 'completed' },
        { trigger: 'cli', source: 'csv:msft-asc.csv', status: 'completed' },
        { trigger: 'cli', source: 'alpha_vantage', status: 'completed' },
      ]);
    } finally {
      await db.close();
    }
  });
});
