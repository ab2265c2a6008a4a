// Embedded PostgreSQL (PGlite, PostgreSQL 18 in WebAssembly) persisted in a directory.
// It is a single connection on the main thread: queries queue one after another, and
// transactions are exclusive (other callers wait until COMMIT).
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.ts';
import { parsers, withTimeout, type Database, type Queryable, type QueryResult } from './database.ts';

type Target = PGlite | Transaction;

function queryable(target: Target): Queryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const result = await target.query<T>(text, params as unknown[]);
      return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
    },
    async exec(script: string): Promise<void> {
      await target.exec(script);
    },
  };
}

/**
 * Opens (creating if needed) the database under `dataDir`, or an in-memory one when `dataDir`
 * is undefined (tests). A directory is locked against a second process first.
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const release = dataDir ? lockDataDir(dataDir) : () => {};
  let pg: PGlite;
  try {
    pg = new PGlite({ dataDir: dataDir ? path.join(dataDir, 'pglite') : undefined, parsers });
    await pg.waitReady;
    await pg.exec(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'`); // the text forms record-json.ts relies on
  } catch (err) {
    release();
    throw err;
  }
  const self = queryable(pg);
  return {
    kind: 'pglite',
    query: self.query,
    exec: self.exec,
    transaction: (fn) => pg.transaction((tx) => fn(queryable(tx))),
    withSession: (fn) => fn(self),
    ping: async (timeoutMs) => {
      await withTimeout(pg.query('SELECT 1'), timeoutMs, 'embedded database');
    },
    close: async () => {
      try {
        if (!pg.closed) await pg.close();
      } finally {
        release();
      }
    },
  };
}
