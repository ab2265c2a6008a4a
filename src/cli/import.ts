// `npm run import -- FILE.csv --ticker T`: one ticker's daily bars from a CSV file
// (`timestamp|date,open,high,low,close,volume`, either row order), through the same transformer and
// loader as the ETL. Rows that break a rule are listed and skipped; the rest load in one
// transaction. Exit status 1 when nothing could be loaded, 2 for a usage or file format error.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { createEtl } from '../etl/index.ts';
import { CsvFormatError, CsvSource } from '../sources/csv/index.ts';
import { parseTicker } from '../model/bar.ts';
import { configOrExit, describeDatabase, fatal, openMigratedDatabase } from '../startup.ts';
import { cliLogger, usageError } from './common.ts';
import { summaryTable, tickerLine } from './report.ts';

const USAGE = `usage: npm run import -- FILE.csv --ticker TICKER
  FILE.csv   columns timestamp (or date), open, high, low, close, volume; a header row; any row order
  --ticker   the ticker these bars belong to`;

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: { ticker: { type: 'string', short: 't' }, help: { type: 'boolean', short: 'h', default: false } },
  });
} catch (err) {
  usageError((err as Error).message, USAGE);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [file, ...extra] = args.positionals;
if (!file || extra.length) usageError(file ? `one file at a time (got ${args.positionals.length})` : 'which file?', USAGE);
if (!args.values.ticker) usageError('--ticker is required', USAGE);
const ticker = parseTicker(args.values.ticker);
if (!ticker.ok) usageError(`--ticker ${ticker.message}`, USAGE);
if (!fs.existsSync(file) || !fs.statSync(file).isFile()) usageError(`${file}: no such file`, USAGE);

const config = configOrExit();
const logger = cliLogger(config);
let db;
try {
  db = await openMigratedDatabase(config, logger);
} catch (err) {
  fatal(logger, err, `cannot open ${describeDatabase(config)}`);
}

const etl = createEtl(config, db, logger);
let exitCode = 1;
try {
  // The file is read (and its header checked) before a run is recorded.
  const source = await CsvSource.open(file);
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
  await db.close();
  logger.flush();
}
process.exitCode = exitCode;
