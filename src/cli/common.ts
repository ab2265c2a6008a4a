// Pieces shared by the CLI commands.
import { pino } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config.ts';
import type { Database } from '../db/index.ts';
import { loggerFromConfig, type Logger } from '../logger.ts';
import { describeDatabase, fatal, openMigratedDatabase } from '../startup.ts';

/**
 * The commands print their own lines on stdout; the log goes to stderr, at `warn` unless
 * LOG_LEVEL asks for more, so the two do not interleave into noise.
 */
export function cliLogger(config: Config): Logger {
  const level = process.env.LOG_LEVEL ? config.logLevel : 'warn';
  const stderr = config.logFormat === 'json'
    ? pino.destination({ dest: 2, sync: true })
    : pretty({ destination: 2, colorize: Boolean(process.stderr.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return loggerFromConfig({ ...config, logLevel: level }, stderr);
}

export function usageError(message: string, usage: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

/** The configured database, migrated; a command that cannot open it says why and exits. */
export async function openCliDatabase(config: Config, logger: Logger): Promise<Database> {
  try {
    return await openMigratedDatabase(config, logger);
  } catch (err) {
    fatal(logger, err, `cannot open ${describeDatabase(config)}`);
  }
}
