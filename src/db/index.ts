import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Database } from './driver/database.ts';
import { openPostgres } from './driver/postgres.ts';
import { openReplicas, withReplicas } from './driver/replicas.ts';

export type { Database, Queryable, QueryResult, ReplicaStatus, Row } from './driver/database.ts';

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
  const { openPglite } = await import('./driver/pglite.ts');
  return openPglite(config.dataDir, { ...common, sqlPort: options.sqlPort ? config.embeddedSqlPort : undefined, onLost: options.onLost });
}

// The rest of the public entry, for tools outside the service (bench/): opening a database
// directly, migrating it, and the statements the service sends, to replay or time them alone.
export { migrate } from './driver/migrate.ts';
export { openPostgres } from './driver/postgres.ts';
export { COUNT_TABLES } from './repositories/maintenance.ts';
export { buildList, type Keyset } from './repositories/market-data-list.ts';
export { GET_SQL, INSERT_SQL } from './repositories/market-data.ts';
export { qualityCounts, qualityOptions, tickerQuality } from './repositories/quality.ts';

/** The embedded database under `dataDir` (loaded only when used, as openDatabase does). */
export async function openEmbedded(...args: Parameters<typeof import('./driver/pglite.ts').openPglite>): ReturnType<typeof import('./driver/pglite.ts').openPglite> {
  const { openPglite } = await import('./driver/pglite.ts');
  return openPglite(...args);
}
