import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Database } from './database.ts';
import { openPostgres } from './postgres.ts';
import { openReplicas, withReplicas } from './replicas.ts';

export type { Database, Queryable, QueryResult, ReplicaStatus, Row } from './database.ts';

interface OpenOptions {
  /** Accept outside PostgreSQL clients on EMBEDDED_SQL_PORT (the service does; CLI commands do not). */
  sqlPort?: boolean;
  /** The embedded database's worker died (see pglite.ts). */
  onLost?: (err: Error) => void;
  /** Open DATABASE_READ_URLS for reads (the service does; CLI commands only write or read once). */
  replicas?: boolean;
}

/** Where a route's reads go: the replicas' read view when DATABASE_READ_URLS is set, else the database. */
export const readsOf = (db: Database): Database => db.reads ?? db;

/** A PostgreSQL server when DATABASE_URL is set, else the embedded database under DATA_DIR. */
export async function openDatabase(config: Config, logger?: Logger, options: OpenOptions = {}): Promise<Database> {
  const common = { poolSize: config.databasePoolSize, statementTimeoutMs: config.databaseStatementTimeoutMs, logger };
  if (config.databaseUrl) {
    const primary = await openPostgres({ url: config.databaseUrl, ...common });
    if (!options.replicas || !config.replicas.urls.length) return primary;
    const { urls, maxLagMs, waitMs } = config.replicas;
    const set = await openReplicas(primary, { urls, maxLagMs, waitMs, poolSize: config.databasePoolSize, statementTimeoutMs: config.databaseStatementTimeoutMs, logger });
    return withReplicas(primary, set);
  }
  // Loaded only when used: the worker's module graph stays out of a process on a server database.
  const { openPglite } = await import('./pglite.ts');
  return openPglite(config.dataDir, { ...common, sqlPort: options.sqlPort ? config.embeddedSqlPort : undefined, onLost: options.onLost });
}

// The rest of the public entry, for tools outside the service (bench/): opening a database
// directly, migrating it, and the statements the service sends, to replay or time them alone.
export { migrate } from './migrate.ts';
export { openPostgres } from './postgres.ts';
export { COUNT_TABLES } from './maintenance.ts';
export { buildList, type Keyset } from './market-data-list.ts';
export { GET_SQL, INSERT_SQL } from './market-data.ts';
export { qualityCounts, qualityOptions, tickerQuality } from './quality.ts';

/** The embedded database under `dataDir` (loaded only when used, as openDatabase does). */
export async function openEmbedded(...args: Parameters<typeof import('./pglite.ts').openPglite>): ReturnType<typeof import('./pglite.ts').openPglite> {
  const { openPglite } = await import('./pglite.ts');
  return openPglite(...args);
}
