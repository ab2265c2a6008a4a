import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Database } from './database.ts';
import { openPostgres } from './postgres.ts';

export type { Database, Queryable, QueryResult, Row } from './database.ts';

export interface OpenOptions {
  /** Accept outside PostgreSQL clients on EMBEDDED_SQL_PORT (the service does; CLI commands do not). */
  sqlPort?: boolean;
  /** The embedded database's worker died (see pglite.ts). */
  onLost?: (err: Error) => void;
}

/** A PostgreSQL server when DATABASE_URL is set, else the embedded database under DATA_DIR. */
export async function openDatabase(config: Config, logger?: Logger, options: OpenOptions = {}): Promise<Database> {
  const common = { poolSize: config.databasePoolSize, statementTimeoutMs: config.databaseStatementTimeoutMs, logger };
  if (config.databaseUrl) return openPostgres({ url: config.databaseUrl, ...common });
  // Loaded only when used: the worker's module graph stays out of a process on a server database.
  const { openPglite } = await import('./pglite.ts');
  return openPglite(config.dataDir, { ...common, sqlPort: options.sqlPort ? config.embeddedSqlPort : undefined, onLost: options.onLost });
}
