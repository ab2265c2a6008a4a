// `npm run etl -- --tickers AAPL,MSFT [--datasets daily,weekly] [--full] [--force] [--plan [--json]]`:
// one ETL run now, with a progress bar on a terminal (plain lines otherwise) and a summary table at
// the end; or, with --plan, what a run would fetch and cost, spending nothing. Exit status 1 when a
// ticker or the run failed.
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { createEtl } from '../etl/index.ts';
import type { Plan } from '../etl/planner.ts';
import { DATASETS, type Dataset } from '../sources/source.ts';
import { badTickers, TICKER_RULE, tickerList } from '../model/bar.ts';
import { configOrExit, describeDatabase } from '../startup.ts';
import { cliLogger, openCliDatabase, usageError } from './common.ts';
import { summaryTable, tickerLine } from './report.ts';

const USAGE = `usage: npm run etl -- [--tickers AAPL,MSFT] [--datasets daily,weekly] [--full] [--force] [--plan [--json]]
  --tickers   tickers to run, comma-separated or repeated (default: DEFAULT_TICKERS)
  --datasets  some of ${DATASETS.join(', ')} (default: ETL_DATASETS)
  --full      the whole daily history, not only the newest bars
  --force     fetch every dataset again, even those that look up to date
  --plan      print what a run would fetch and what it costs, and exit (--json: as GET /api/v1/etl/plan)`;

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      tickers: { type: 'string', short: 't', multiple: true },
      datasets: { type: 'string', short: 'd', multiple: true },
      full: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      plan: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
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

const split = (values: string[] | undefined) => (values ?? []).flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
const config = configOrExit();
const logger = cliLogger(config);
const given = tickerList([...args.values.tickers ?? [], ...args.positionals]);
const bad = badTickers(given);
if (bad.length) usageError(`not tickers (each ${TICKER_RULE}): ${bad.join(', ')}`, USAGE);
const tickers = given.length ? given : config.etl.defaultTickers;
const datasets = split(args.values.datasets).map((d) => d.toLowerCase());
const unknown = datasets.filter((d) => !(DATASETS as readonly string[]).includes(d));
if (unknown.length) usageError(`not datasets (${DATASETS.join(', ')}): ${unknown.join(', ')}`, USAGE);

const db = await openCliDatabase(config, logger);

const etl = createEtl(config, db, logger);
const options = { force: args.values.force, incremental: !args.values.full, datasets: datasets.length ? datasets as Dataset[] : undefined };
let exitCode = 1;
try {
  if (args.values.plan) {
    const plan = await etl.runner.plan(tickers, options);
    console.log(args.values.json ? JSON.stringify({ budget: plan.budget ?? null, requests: plan.requests, days_needed: plan.days_needed, tickers: plan.tickers }, null, 2) : planText(plan));
    exitCode = 0;
  } else {
    exitCode = await run();
  }
} catch (err) {
  logger.error({ err: (err as Error).message }, 'etl run failed');
  console.error(`etl run failed: ${(err as Error).message}`);
} finally {
  await etl.close();
  await db.close();
  logger.flush();
}
process.exitCode = exitCode;

async function run(): Promise<number> {
  // Ctrl-C stops the run cleanly: the current item is abandoned (its transaction rolls back).
  const abort = new AbortController();
  const stop = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`ETL of ${tickers.length} ticker(s) from ${etl.source.name} into ${describeDatabase(config)}`);
  // A bar on a terminal; on a pipe or in a log file, a plain line per ticker.
  const bars = process.stdout.isTTY ? new cliProgress.MultiBar({
    format: ' {bar} {value}/{total} datasets | {requests} requests | ETA {eta_formatted} | {current}',
    hideCursor: true, clearOnComplete: true, etaBuffer: 20,
  }, cliProgress.Presets.shades_classic) : undefined;
  const bar = bars?.create(1, 0, { requests: 0, current: '' });
  const say = (line: string) => (bars ? bars.log(`${line}\n`) : console.log(line));
  try {
    const run = await etl.runner.run({
      ...options, tickers, trigger: 'cli', signal: abort.signal,
      onTicker: (result) => say(tickerLine(result)),
      onProgress: (p) => {
        bar?.setTotal(p.total);
        bar?.update(p.done, { requests: p.requests, current: p.ticker ? `${p.ticker} ${p.dataset}` : '' });
      },
    });
    bars?.stop();
    console.log(`\n${summaryTable(run)}`);
    if (abort.signal.aborted) return 130;
    return run.status === 'completed' && run.failed === 0 ? 0 : 1;
  } finally {
    bars?.stop();
  }
}

function planText(plan: Plan): string {
  const b = plan.budget;
  const head = `${plan.requests} request(s) for ${plan.tickers.length} ticker(s)` +
    (b ? `; budget ${b.per_day} per New York day, ${b.remaining_today} left today` : '') +
    (plan.days_needed === null ? '; the budget never catches up' : plan.days_needed > 1 ? `; about ${plan.days_needed} days` : '');
  const lines = plan.tickers.flatMap((t) => [
    `${t.ticker.padEnd(8)} ${String(t.requests).padStart(3)} request(s)`,
    ...t.datasets.map((d) => `  ${d.dataset.padEnd(10)} ${String(d.requests).padStart(2)}  ${d.reason}`),
  ]);
  return [head, '', ...lines].join('\n');
}
