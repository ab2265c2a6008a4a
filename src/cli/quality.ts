// `npm run quality [-- TICKER] [--start DATE] [--end DATE] [--json]`: the data-quality report
// (docs/quality.md) in the terminal. Every ticker as a table, or one ticker with its findings.
// Exit status 1 when a ticker's status is `error` (for cron and CI), 2 for a usage error.
import { parseArgs } from 'node:util';
import { qualityCounts, qualityOptions, tickerQuality } from '../db/repositories/quality.ts';
import { parseTicker } from '../model/bar.ts';
import { findingReason, withStatus } from '../model/quality.ts';
import { configOrExit } from '../startup.ts';
import { cliLogger, openCliDatabase, usageError } from './common.ts';

const USAGE = `usage: npm run quality [-- TICKER] [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--json]
  TICKER   one ticker with every finding (default: a line per ticker)
  --start, --end   the range to assess for TICKER (default: its first and last bar)
  --json   the API's JSON instead of text
exit status 1 when a ticker's status is error`;

const DATE = /^\d{4}-\d\d-\d\d$/;
let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      start: { type: 'string' }, end: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  usageError((err as Error).message, USAGE);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (args.positionals.length > 1) usageError('one ticker at a time', USAGE);
const ticker = args.positionals[0] === undefined ? undefined : parseTicker(args.positionals[0]);
if (ticker && !ticker.ok) usageError(`TICKER ${ticker.message}`, USAGE);
for (const name of ['start', 'end'] as const) {
  const value = args.values[name];
  if (value !== undefined && (!DATE.test(value) || Number.isNaN(Date.parse(value)))) usageError(`--${name} must be a date YYYY-MM-DD`, USAGE);
  if (value !== undefined && !ticker) usageError(`--${name} needs a TICKER`, USAGE);
}

const config = configOrExit();
const logger = cliLogger(config);
const db = await openCliDatabase(config, logger);

const COLUMNS = ['ticker', 'status', 'expected', 'stored', 'missing', 'behind', 'split?', 'unit?', 'closed-day', 'zero-vol', 'provisional'] as const;

function table(rows: string[][]): string {
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const stale = config.quality.staleSessions;
const options = qualityOptions();
let exitCode = 0;
try {
  if (ticker?.ok) {
    const report = await tickerQuality(db, options, ticker.value, { start: args.values.start, end: args.values.end });
    if (!report) {
      console.error(`no data for ticker ${ticker.value}`);
      exitCode = 1;
    } else {
      const c = withStatus(report.counts, stale);
      const findings = report.findings.map((f) => ({ kind: f.kind, date: f.date, reason: findingReason(f) }));
      if (args.values.json) console.log(JSON.stringify({ ...c, latest_session: options.latestSession, findings }, null, 2));
      else {
        console.log(`${c.ticker} ${c.status}: ${c.stored} of ${c.expected} sessions from ${c.from_date} to ${c.to_date}, ` +
          `${c.sessions_behind} behind the latest published (${options.latestSession})${c.stale ? `: stale (STALE_SESSIONS=${stale})` : ''}`);
        for (const f of findings) console.log(`${f.date}  ${f.kind.padEnd(14)}  ${f.reason}`);
      }
      if (c.status === 'error') exitCode = 1;
    }
  } else {
    const all = (await qualityCounts(db, options)).map((c) => withStatus(c, stale));
    if (args.values.json) console.log(JSON.stringify({ latest_session: options.latestSession, stale_sessions: stale, tickers: all }, null, 2));
    else {
      console.log(table(all.map((c) => [c.ticker, c.status, ...[c.expected, c.stored, c.missing, c.sessions_behind, c.possible_split, c.unit_error, c.non_session, c.zero_volume, c.provisional].map(String)])));
      console.log(`\n${all.length} tickers against the NYSE calendar, latest published session ${options.latestSession}: ` +
        `${all.filter((c) => c.status === 'ok').length} ok, ${all.filter((c) => c.status === 'warning').length} warning, ${all.filter((c) => c.status === 'error').length} error`);
    }
    if (all.some((c) => c.status === 'error')) exitCode = 1;
  }
} catch (err) {
  console.error(`quality report failed: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await db.close();
}
process.exitCode = exitCode;
