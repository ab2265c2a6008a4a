// `npm run etl -- --tickers AAPL,MSFT [--full] [--force]`: one ETL run now, a line per ticker as it
// finishes, a summary table at the end. Exit status 1 when a ticker or the run failed.
import { parseArgs } from 'node:util';
import { createEtl } from '../etl/index.ts';
import { TICKER_PATTERN } from '../model/bar.ts';
import { configOrExit, describeDatabase, fatal, openMigratedDatabase } from '../startup.ts';
import { cliLogger, usageError } from './common.ts';
import { summaryTable, tickerLine } from './report.ts';

const USAGE = `usage: npm run etl -- [--tickers AAPL,MSFT] [--full] [--force]
  --tickers  tickers to run, comma-separated or repeated (default: DEFAULT_TICKERS)
  --full     fetch full history instead of the newest 100 days
  --force    fetch even tickers that look up to date (implies full history)`;

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      tickers: { type: 'string', short: 't', multiple: true },
      full: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  usageError((err as Error).message, USAGE);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}

const config = configOrExit();
const logger = cliLogger(config);
const given = [...(args.values.tickers ?? []), ...args.positionals].flatMap((t) => t.split(',')).map((t) => t.trim().toUpperCase()).filter(Boolean);
const bad = given.filter((t) => !TICKER_PATTERN.test(t));
if (bad.length) usageError(`not tickers (1-16 of A-Z 0-9 . -, starting with a letter or digit): ${bad.join(', ')}`, USAGE);
const tickers = given.length ? given : config.etl.defaultTickers;

let db;
try {
  db = await openMigratedDatabase(config, logger);
} catch (err) {
  fatal(logger, err, `cannot open ${describeDatabase(config)}`);
}

// Ctrl-C stops the run cleanly: the current ticker is abandoned (its transaction rolls back).
const abort = new AbortController();
const stop = () => abort.abort(new Error('interrupted'));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

const { runner } = createEtl(config, db, logger);
console.log(`ETL of ${tickers.length} ticker(s) from Alpha Vantage into ${describeDatabase(config)}`);
let exitCode = 1;
try {
  const run = await runner.run({
    tickers, trigger: 'cli', force: args.values.force, incremental: !args.values.full, signal: abort.signal,
    onTicker: (result) => console.log(tickerLine(result)),
  });
  console.log(`\n${summaryTable(run)}`);
  exitCode = run.status === 'completed' && run.failed === 0 ? 0 : 1;
} catch (err) {
  logger.error({ err: (err as Error).message }, 'etl run failed');
  console.error(`etl run failed: ${(err as Error).message}`);
} finally {
  await db.close();
  logger.flush();
}
process.exitCode = abort.signal.aborted ? 130 : exitCode;
