// Shared start-up steps for the service and the CLI commands: configuration, logger, database.
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { openDatabase, type Database } from './db/index.ts';
import { migrate } from './db/driver/migrate.ts';
import { profileOf } from './db/driver/profile.ts';
import { loggerFromConfig, type Logger } from './logger.ts';

export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return `embedded PostgreSQL (PGlite) in ${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`;
}


/**
 * Opens the database and applies pending migrations. A server that is still starting (compose,
 * systemd) is waited for, up to about a minute; anything else fails at once.
 */
export async function openMigratedDatabase(config: Config, logger: Logger, options: { sqlPort?: boolean; replicas?: boolean } = {}): Promise<Database> {
  // Never a process that takes requests it cannot answer: the supervisor (or the user) restarts it.
  const db = await openDatabase(config, logger, { ...options, onLost: (err) => fatal(logger, err, 'the embedded database stopped') });
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(db, { logger });
      return db;
    } catch (err) {
      if (!profileOf(db).transientAtStart(err) || attempt >= 20) {
        await db.close().catch(() => {});
        throw err;
      }
      logger.warn({ attempt, err: (err as Error).message }, 'database not reachable yet; retrying');
      await sleep(Math.min(500 * attempt, 5000));
    }
  }
}

export function fatal(logger: Logger, err: unknown, message: string): never {
  logger.fatal({ err }, `${message}: ${(err as Error).message}`);
  logger.flush();
  process.exit(1);
}

export { loggerFromConfig };
