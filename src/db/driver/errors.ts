// What a failed database call means, decided in one place for both databases: the SQLSTATE codes
// PostgreSQL and PGlite send, the Node socket errors of a connection that went away, and the few
// messages `pg` throws without a code. Callers decide what to do by `kind`, never by a code.
export type DatabaseErrorKind =
  /** 23505 unique_violation: a row with the same key exists. */
  | 'unique'
  /** 23514 check_violation: a CHECK constraint refused the row. */
  | 'check'
  /** 23502 not_null_violation. */
  | 'not_null'
  /** 23503 foreign_key_violation. */
  | 'foreign_key'
  /** Any other integrity constraint (class 23), e.g. an exclusion constraint. */
  | 'integrity'
  /** A value the column cannot hold: out of range (22003, 22008) or not its type's text (22P02). */
  | 'invalid_input'
  /** Any other data exception (class 22). */
  | 'data'
  /** 40P01 deadlock_detected: rolled back whole, may simply be run again. */
  | 'deadlock'
  /** 40001 serialization_failure (on a standby, also a conflict with recovery): may be run again. */
  | 'serialization'
  /** 55P03 lock_not_available: a lock wait given up. */
  | 'lock_unavailable'
  /** 57014 query_canceled: statement_timeout or a cancel. */
  | 'timeout'
  /** 57P04 database_dropped: a standby's recovery conflict on the database. */
  | 'database_dropped'
  /** 25006 read_only_sql_transaction: a write sent to a standby or a read-only transaction. */
  | 'read_only'
  /**
   * The database cannot be reached or is going away: class 08, admin or crash shutdown, starting
   * up (57P01-57P03), too many connections (53300), a socket error, a connection `pg` reports lost,
   * the embedded database's socket while its worker restarts (ENOENT), or a call past its timeout.
   */
  | 'unavailable'
  /** `pg`'s pool waited too long for a connection: the server may be down or every connection busy. */
  | 'connect_timeout'
  /** Class 28: the server refused the credentials. */
  | 'auth'
  /** 3D000 invalid_catalog_name: the database does not exist (there). */
  | 'missing_database'
  | 'other';

export class DatabaseError extends Error {
  constructor(
    readonly kind: DatabaseErrorKind,
    /** The SQLSTATE or Node error code, when there was one. */
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'DatabaseError';
  }

  /** The database refused the values of a row (classes 22 and 23): other rows may still go in. */
  get rowRefused(): boolean {
    return /^2[23]/.test(this.code ?? '');
  }

  /** The statement was rolled back whole and may simply be run again. */
  get retryable(): boolean {
    return this.kind === 'deadlock' || this.kind === 'serialization';
  }
}

const BY_CODE: Record<string, DatabaseErrorKind> = {
  '23505': 'unique', '23514': 'check', '23502': 'not_null', '23503': 'foreign_key',
  '22003': 'invalid_input', '22008': 'invalid_input', '22P02': 'invalid_input',
  '40P01': 'deadlock', '40001': 'serialization', '55P03': 'lock_unavailable', '57014': 'timeout',
  '57P04': 'database_dropped', '25006': 'read_only', '3D000': 'missing_database',
  '57P01': 'unavailable', '57P02': 'unavailable', '57P03': 'unavailable', '53300': 'unavailable',
  ENOENT: 'unavailable', ECONNREFUSED: 'unavailable', ECONNRESET: 'unavailable', ETIMEDOUT: 'unavailable',
  ENOTFOUND: 'unavailable', EPIPE: 'unavailable', EHOSTUNREACH: 'unavailable',
};

/** By the code's class (its first two characters) when the code itself is not listed. */
const BY_CLASS: Record<string, DatabaseErrorKind> = { '08': 'unavailable', '28': 'auth', '22': 'data', '23': 'integrity' };

const CONNECT_TIMEOUT = /timeout exceeded when trying to connect/i;
const LOST = /Connection terminated|connection error|not queryable|did not answer|Cannot use a pool after calling end/i;

const own = (table: Record<string, DatabaseErrorKind>, key: string) => (Object.hasOwn(table, key) ? table[key] : undefined);

/** Classifies any error thrown by a database call (an error that is not one is `other`). */
export function toDatabaseError(err: unknown): DatabaseError {
  if (err instanceof DatabaseError) return err;
  const raw = (err as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' && raw !== '' ? raw : undefined;
  let kind = (code && (own(BY_CODE, code) ?? own(BY_CLASS, code.slice(0, 2)))) || 'other';
  if (kind === 'other') {
    const message = err instanceof Error ? err.message : '';
    // DatabaseUnavailableError (database.ts): a call that did not answer within its time.
    if ((err as Error | null)?.name === 'DatabaseUnavailableError') kind = 'unavailable';
    else if (CONNECT_TIMEOUT.test(message)) kind = 'connect_timeout';
    else if (LOST.test(message)) kind = 'unavailable';
  }
  return new DatabaseError(kind, code, err);
}
