#!/usr/bin/env node
// `market-data serve|etl|import|migrate|plan|quality`: one command for the service and its tools, the
// package's `bin` (npx market-data, or on the PATH of the image). Each subcommand is the module
// that does the work, loaded only when asked for, so `--help` starts no database.
import { VERSION } from '../version.ts';

const USAGE = `usage: market-data <command> [options]

commands:
  serve     run the API, the dashboard and the ETL schedule (what npm start runs)
  etl       run the ETL now for some tickers           market-data etl --help
  plan      show what an ETL run would fetch, without fetching (etl --plan)
  import    load bars from CSV or Parquet files        market-data import --help
  migrate   apply pending database migrations and exit
  quality   is the data complete and current? (the NYSE calendar)   market-data quality --help

Configuration comes from the environment or a .env file (docs/configuration.md).
  -h, --help       this text
  -v, --version    the version`;

const [command, ...rest] = process.argv.slice(2);

/** The subcommand's module reads its own arguments: make them look as if it had been run alone. */
function argsFor(args: string[]): void {
  process.argv.splice(2, process.argv.length - 2, ...args);
}

/** The tools: each subcommand's arguments as its module reads them, and the module. */
const TOOLS: Record<string, [args: string[], load: () => Promise<unknown>]> = {
  etl: [rest, () => import('./etl.ts')],
  plan: [['--plan', ...rest], () => import('./etl.ts')],
  import: [rest, () => import('./import.ts')],
  quality: [rest, () => import('./quality.ts')],
  migrate: [rest, () => import('./migrate.ts')],
};

const tool = command !== undefined && Object.hasOwn(TOOLS, command) ? TOOLS[command] : undefined;
if (tool) {
  argsFor(tool[0]);
  await tool[1]();
} else switch (command) {
  case 'serve':
    // Arguments stay as they are: cluster workers run this same command line again.
    await import('../main.ts');
    break;
  case '-v':
  case '--version':
    console.log(VERSION);
    break;
  case undefined:
  case '-h':
  case '--help':
  case 'help':
    console.log(USAGE);
    break;
  default:
    console.error(`unknown command: ${command}\n\n${USAGE}`);
    process.exitCode = 2;
}
