// Real databases for tests: embedded PGlite always, and the PostgreSQL server as well when
// TEST_DATABASE_URL is set (.ci/run sets it). Each test file gets its own database, migrated once.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Database } from '../../src/db/driver/database.ts';
import { migrate } from '../../src/db/driver/migrate.ts';
import { openPglite } from '../../src/db/driver/pglite.ts';
import { openPostgres } from '../../src/db/driver/postgres.ts';

export type DatabaseKind = 'pglite' | 'postgres';

export const SERVER_URL = process.env.TEST_DATABASE_URL;

/** The kinds every database test runs on. */
export const DATABASE_KINDS: DatabaseKind[] = SERVER_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase {
  kind: DatabaseKind;
  db: Database;
  /** Connection URL of the server database (postgres kind only). */
  url?: string;
  reset(): Promise<void>;
  drop(): Promise<void>;
}

export function urlWithDatabase(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Creates an empty database on the test server; returns its URL and a function dropping it. */
export async function createServerDatabase(prefix = 'md_test'): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  if (!SERVER_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `${prefix}_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: urlWithDatabase(SERVER_URL, name),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: SERVER_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function openTestDatabase(kind: DatabaseKind, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  let db: Database;
  let url: string | undefined;
  let dropServer = async () => {};
  if (kind === 'pglite') {
    db = await openPglite(undefined);
  } else {
    const created = await createServerDatabase();
    url = created.url;
    dropServer = created.drop;
    db = await openPostgres({ url, poolSize: 5 });
  }
  if (options.migrate !== false) await migrate(db);
  return {
    kind,
    db,
    url,
    reset: async () => {
      await db.exec('TRUNCATE market_data RESTART IDENTITY');
    },
    drop: async () => {
      await db.close();
      await dropServer();
    },
  };
}

/** The database a spawned service (or CLI) uses, in its own temporary folder. */
export interface ServiceDatabase {
  /** The temporary folder (PGlite's data directory, or below it with `dataSubdir`). */
  dir: string;
  /** DATA_DIR or DATABASE_URL, to merge into the service's environment. */
  env: Record<string, string>;
  /** Connection URL of the server database (postgres kind only). */
  url?: string;
  open(): Promise<Database>;
  /** Drops the server database and removes the temporary folder. */
  drop(): Promise<void>;
}

/** PGlite in a new temporary folder, or a fresh database on the test server. */
export async function createServiceDatabase(kind: DatabaseKind, tmpPrefix: string, options: { dataSubdir?: string } = {}): Promise<ServiceDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  const removeDir = async () => fs.rmSync(dir, { recursive: true, force: true });
  if (kind === 'pglite') {
    const dataDir = options.dataSubdir ? path.join(dir, options.dataSubdir) : dir;
    return { dir, env: { DATA_DIR: dataDir }, open: () => openPglite(dataDir), drop: removeDir };
  }
  const created = await createServerDatabase();
  return {
    dir,
    env: { DATABASE_URL: created.url },
    url: created.url,
    open: () => openPostgres({ url: created.url, poolSize: 2 }),
    drop: async () => {
      await created.drop();
      await removeDir();
    },
  };
}
