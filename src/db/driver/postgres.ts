// A PostgreSQL server through a `pg` connection pool — a server at a URL, or the embedded
// database's worker on its private socket (pglite.ts): one driver and one code path for both.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Logger } from '../../logger.ts';
import { toDatabaseError } from './errors.ts';
import { parsers, withTimeout, type Database, type Queryable, type QueryOptions, type QueryResult } from './database.ts';

// Per-pool type parsers, so nothing global in `pg` is changed.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    parsers[oid] ?? pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

interface PostgresOptions {
  /** A server's URL; or, instead, `socketDir`. */
  url?: string;
  /** The directory of the embedded database worker's Unix socket (pglite.ts). */
  socketDir?: string;
  /** What the database is (see profile.ts); a server unless said otherwise. */
  kind?: Database['kind'];
  poolSize: number;
  logger?: Logger;
  /** How long a request may wait for a connection before failing (a down server fails faster). */
  connectTimeoutMs?: number;
  applicationName?: string;
  /** Server-side statement_timeout in ms (0 or unset: none), so a stuck query cannot hold a request forever. */
  statementTimeoutMs?: number;
  /**
   * Run a statement that failed as a deadlock or serialization failure again here (default).
   * Replicas say no: their "conflict with recovery" is a serialization failure, and the read
   * goes to another server instead (replicas.ts).
   */
  retry?: boolean;
}

const ATTEMPTS = 3;

function queryable(client: pg.Pool | pg.PoolClient, retryHere = true): Queryable {
  // Only a statement on its own (the pool's autocommit) is retried; inside a transaction the
  // whole transaction failed and its owner decides. (A deadlock between an API write and an ETL
  // load of the same ticker was real while per-ticker counts lived in one locked row; another
  // writer on the database — psql, a script — can still lock rows in the opposite order.)
  const retry = retryHere && client instanceof pg.Pool;
  return {
    async query<T>(text: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<QueryResult<T>> {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await client.query({ text, values: params as unknown[], name: options?.name });
          return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
        } catch (err) {
          if (!retry || attempt >= ATTEMPTS || !toDatabaseError(err).retryable) throw err;
          await sleep(10 + Math.random() * 40 * attempt);
        }
      }
    },
    async exec(script: string): Promise<void> {
      await client.query(script);
    },
    ...(client instanceof pg.Pool ? {} : {
      async copyFrom(sql: string, source: AsyncIterable<string | Buffer>): Promise<number> {
        const stream = client.query(copyFrom(sql));
        await pipeline(Readable.from(source, { objectMode: false }), stream);
        return stream.rowCount ?? 0;
      },
    }),
  };
}

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    ...(options.socketDir ? { host: options.socketDir, user: 'postgres', database: 'postgres' } : { connectionString: options.url }),
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: options.applicationName ?? 'market-data',
    // The text forms record-json.ts relies on; and no JIT: every query here is small, and compiling
    // one (batched listings cost enough to trigger it) takes far longer than it saves.
    options: '-c TimeZone=UTC -c DateStyle=ISO,YMD -c jit=off',
    statement_timeout: options.statementTimeoutMs || undefined,
    types,
  });
  // An idle client's connection can die (server restart, network): pg emits 'error' on the pool,
  // which would crash the process if unheard. The pool drops that client and makes a new one later.
  pool.on('error', (err) => options.logger?.warn({ err }, 'database connection lost; it will be replaced'));

  // A checked-out client's connection can die between its queries too (a session holding the
  // ETL's run lock sits idle for minutes). pg then emits 'error' on the client itself, which the
  // pool does not hear while the client is out: unheard, it would crash the process.
  const checkOut = async (): Promise<{ client: pg.PoolClient; lost: () => boolean; done: (broken: boolean) => void }> => {
    const client = await pool.connect();
    let lost = false;
    const onError = (err: Error) => {
      lost = true;
      options.logger?.warn({ err }, 'database connection lost while in use');
    };
    client.on('error', onError);
    return {
      client,
      lost: () => lost,
      done: (broken) => {
        client.removeListener('error', onError);
        client.release(broken || lost);
      },
    };
  };

  const self = queryable(pool, options.retry ?? true);
  return {
    kind: options.kind ?? 'postgres',
    query: self.query,
    exec: self.exec,
    async transaction(fn) {
      const { client, done } = await checkOut();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(queryable(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => { broken = true; });
        throw err;
      } finally {
        done(broken);
      }
    },
    async withSession(fn) {
      const { client, done } = await checkOut();
      let broken = false;
      try {
        return await fn(queryable(client));
      } catch (err) {
        broken = true; // session state (locks) may be left behind: do not reuse this connection
        throw err;
      } finally {
        done(broken);
      }
    },
    async ping(timeoutMs) {
      await withTimeout(pool.query('SELECT 1'), timeoutMs, 'database server');
    },
    async close() {
      await pool.end();
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}
