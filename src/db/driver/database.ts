// The database seen by the rest of the service: the same SQL on embedded PGlite and on a
// PostgreSQL server, both through `pg` (postgres.ts; the embedded one behind its worker, see
// pglite.ts), with the type parsers below. What still differs by kind lives in profile.ts.

export type Row = Record<string, unknown>;

export interface QueryResult<T> {
  rows: T[];
  /** Rows returned or affected by the statement. */
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Name for a server-side prepared statement. Hot queries are parsed and planned once per
   * connection instead of on every call.
   */
  name?: string;
}

export interface Queryable {
  query<T = Row>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /**
   * `COPY … FROM STDIN` fed from `source`; returns the rows copied. Only on one connection of a
   * server (a transaction or a session): a bulk import stages its rows with it.
   */
  copyFrom?(sql: string, source: AsyncIterable<string | Buffer>): Promise<number>;
}

export interface Database extends Queryable {
  /** Which database this is: read by profile.ts only. */
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction on one connection; rolls back if fn throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs fn on one dedicated connection outside any transaction, for session state such as
   * advisory locks, which must be taken and released on the same connection.
   */
  withSession<T>(fn: (session: Queryable) => Promise<T>): Promise<T>;
  /** Resolves when the database answers a trivial query within timeoutMs, rejects otherwise. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
  /** Connection pool usage, for metrics. */
  poolStats?(): PoolStats;
  /** Where reads go when streaming replicas serve them (replicas.ts); unset: here. See readsOf. */
  readonly reads?: Database;
  /** Each replica's state, for health and metrics; unset without replicas. */
  replicaStatuses?(): ReplicaStatus[];
  /** Reads the primary answered although replicas are configured. */
  primaryReads?(): number;
  /** The primary's WAL position after a write, for read-your-writes; unset without replicas. */
  writeLsn?(): Promise<string>;
}

/**
 * `up`: in rotation; `lagging`: further behind than REPLICA_MAX_LAG_MS; `down`: its check or a read
 * failed; `not_standby`: not replaying (promoted, or not a replica); `starting`: not checked yet.
 */
export type ReplicaState = 'starting' | 'up' | 'lagging' | 'down' | 'not_standby';

export interface ReplicaStatus {
  /** `replica-N`, N its place in DATABASE_READ_URLS (no address or credentials). */
  name: string;
  state: ReplicaState;
  /** Age of the oldest primary WAL position it has not replayed (0: caught up); null until known. */
  lagMs: number | null;
  lagBytes: number | null;
  /** pg_is_wal_replay_paused(). */
  paused: boolean | null;
  replayLsn: string | null;
  checkedAt: string | null;
  error: string | null;
  /** Reads it answered, and reads that failed on it (and went elsewhere). */
  reads: number;
  failures: number;
}

export interface PoolStats { total: number; idle: number; waiting: number }

/** PostgreSQL type OIDs whose text form we keep or reshape. */
export const OID = { INT8: 20, NUMERIC: 1700, DATE: 1082, TIMESTAMPTZ: 1184 } as const;

// bigint: a number while exact (ids, volumes, counts), the decimal string beyond 2^53.
function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

// Sessions run with TimeZone=UTC, so PostgreSQL prints `2024-01-15 10:00:00.1234+00` (trailing
// zeros of the fraction dropped). Reshape it to ISO 8601 with a fixed six-digit fraction, keeping
// every microsecond and making timestamps compare correctly as strings.
function parseTimestamptz(text: string): string {
  const m = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/.exec(text);
  if (m) return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z`;
  return new Date(text).toISOString(); // another session time zone: still correct, to the millisecond
}

const identity = (text: string): string => text;

/** Text parsers of the pool (postgres.ts): prices stay exact decimal strings, dates stay `YYYY-MM-DD`. */
export const parsers: Record<number, (text: string) => unknown> = {
  [OID.INT8]: parseInt8,
  [OID.NUMERIC]: identity,
  [OID.DATE]: identity,
  [OID.TIMESTAMPTZ]: parseTimestamptz,
};

export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseUnavailableError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
