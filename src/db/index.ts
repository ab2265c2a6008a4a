import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Database } from './database.ts';
import { openPostgres } from './postgres.ts';

export type { Database, Queryable, QueryResult, Row } from './database.ts';

/** A PostgreSQL server when DATABASE_URL is set, else the embedded database under DATA_DIR. */
export async function openDatabase(config: Config, logger?: Logger): Promise<Database> {
  if (config.databaseUrl) return openPostgres({ url: config.databaseUrl, poolSize: config.databasePoolSize, statementTimeoutMs: config.databaseStatementTimeoutMs, logger });
  // Loaded only when used: PGlite's module alone adds ~40 MB to a process on a server database.
  const { openPglite } = await import('./pglite.ts');
  return openPglite(config.dataDir);
}
