// `npm run import -- FILE|DIR [--ticker T] [--dry-run]`: daily bars from files, through the same
// rules as the ETL. One ticker's CSV (`timestamp|date,open,high,low,close,volume`, either row order)
// with --ticker goes through the ETL's runner and run history, as it always did; a long CSV with a
// `ticker` column, Parquet, a directory or --dry-run is a bulk import (etl/bulk-import.ts). Rows
// that break a rule are listed and skipped; each ticker loads in one transaction. Exit status 1
// when nothing could be loaded, 2 for a usage or file format error.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { bulkImport } from '../etl/bulk-import.ts';
import { importFiles } from '../sources/csv/files.ts';
import { createEtl } from '../etl/index.ts';
import { CsvFormatError, CsvSource } from '../sources/csv/index.ts';
import { parseTicker } from '../model/bar.ts';
import { configOrExit } from '../startup.ts';
import { cliLogger, openCliDatabase, usageError } from './common.ts';
import { summaryTable, tickerLine } from './report.ts';

const USAGE = `usage: npm run import -- FILE|DIRECTORY [--ticker TICKER] [--dry-run]
  FILE       a CSV with a header row: [ticker|symbol,]timestamp|date,open,high,low,close,volume, any
             row order; or a Parquet file with those columns (DECIMAL prices are read exactly)
  DIRECTORY  every .csv and .parquet file in it
  --ticker   the ticker of files without a ticker column
  --dry-run  check every row and count what would be inserted, updated or left unchanged; write nothing`;

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      ticker: { type: 'string', short: 't' }, 'dry-run': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  usageError((err as Error).message, USAGE);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [file, ...extra] = args.positionals;
if (!file || extra.length) usageError(file ? `one file or directory at a time (got ${args.positionals.length})` : 'which file?', USAGE);
if (!fs.existsSync(file)) usageError(`${file}: no such file`, USAGE);
const ticker = args.values.ticker === undefined ? undefined : parseTicker(args.values.ticker);
if (ticker && !ticker.ok) usageError(`--ticker ${ticker.message}`, USAGE);
const files = importFiles(file);
if (!files.length) usageError(`${file}: no .csv or .parquet files`, USAGE);
const dryRun = args.values['dry-run'];
// One ticker's CSV without a ticker column, as before: through the runner and its run history.
const oneTickerCsv = files.length === 1 && /\.csv$/i.test(files[0]!) && !dryRun && ticker?.ok && !hasTickerColumn(files[0]!);
if (!oneTickerCsv && files.length === 1 && !ticker && /\.csv$/i.test(files[0]!) && !hasTickerColumn(files[0]!)) {
  usageError('--ticker is required for a file without a ticker column', USAGE);
}

function hasTickerColumn(csv: string): boolean {
  const fd = fs.openSync(csv, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    const header = head.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0]!.toLowerCase();
    return header.split(',').map((c) => c.trim().replace(/^"|"$/g, '')).some((c) => c === 'ticker' || c === 'symbol');
  } finally {
    fs.closeSync(fd);
  }
}

const config = configOrExit();
const logger = cliLogger(config);
const db = await openCliDatabase(config, logger);

let exitCode = 1;
if (oneTickerCsv) {
  const etl = createEtl(config, db, logger);
  try {
    // The file is read (and its header checked) before a run is recorded.
    const source = await CsvSource.open(files[0]!);
    const run = await etl.runner.run({ source, tickers: [ticker.value], datasets: ['daily'], force: true, incremental: false, trigger: 'cli' });
    const result = run.details[0]!;
    console.log(tickerLine(result));
    for (const r of result.rejections) console.log(`  rejected ${r.date}: ${r.reason}`);
    if (result.rejected > result.rejections.length) console.log(`  … and ${result.rejected - result.rejections.length} more`);
    console.log(`\n${summaryTable(run)}`);
    exitCode = run.status === 'completed' && result.status !== 'failed' ? 0 : 1;
  } catch (err) {
    console.error(err instanceof CsvFormatError ? err.message : `import failed: ${(err as Error).message}`);
    exitCode = err instanceof CsvFormatError ? 2 : 1;
  } finally {
    await etl.close();
  }
} else {
  // A progress bar only on a terminal: piped output stays plain lines.
  const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, format: '{phase} [{bar}] {percentage}% {value}/{total}' }, cliProgress.Presets.shades_classic) : undefined;
  let phase = '';
  try {
    const sizes = files.map((f) => fs.statSync(f).size);
    const result = await bulkImport(db, files, sizes, {
      ticker: ticker?.ok ? ticker.value : undefined,
      dryRun,
      onProgress: (now, done, total) => {
        if (!bar) return;
        if (now !== phase) {
          if (phase) bar.stop();
          phase = now;
          bar.start(total, 0, { phase: now === 'read' ? 'reading ' : 'merging ' });
        }
        bar.update(done);
      },
    });
    bar?.stop();
    const sum = (k: 'inserted' | 'updated' | 'unchanged') => result.tickers.reduce((a, t) => a + t[k], 0);
    const failed = result.tickers.filter((t) => t.error);
    for (const t of result.tickers) {
      console.log(`${t.ticker.padEnd(10)} ${t.error ? `failed: ${t.error}` : `${t.rows} rows, ${t.inserted} new, ${t.updated} changed, ${t.unchanged} unchanged`}`);
    }
    for (const r of result.rejections) console.log(`rejected ${r.file}:${r.line} ${r.ticker} ${r.date}: ${r.reason}`);
    if (result.rejected > result.rejections.length) console.log(`… and ${result.rejected - result.rejections.length} more rejected`);
    console.log(`\n${dryRun ? 'dry run, nothing written: would load' : 'loaded'} ${result.tickers.length - failed.length} ticker(s) from ${files.length} file(s): ` +
      `${result.read} rows read, ${result.rejected} rejected, ${sum('inserted')} new, ${sum('updated')} changed, ${sum('unchanged')} unchanged` +
      `${failed.length ? `, ${failed.length} ticker(s) failed` : ''}`);
    exitCode = result.tickers.length > failed.length ? 0 : 1;
  } catch (err) {
    bar?.stop();
    console.error(err instanceof CsvFormatError ? err.message : `import failed: ${(err as Error).message}`);
    exitCode = err instanceof CsvFormatError ? 2 : 1;
  }
}
await db.close();
logger.flush();
process.exitCode = exitCode;
