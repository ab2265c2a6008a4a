// Versioned SQL migrations from `migrations/NNNN_name.sql`, applied in order. Each file and its
// record in `schema_migrations` commit together, and the whole run holds a PostgreSQL advisory
// lock on one dedicated connection, so replicas starting at once migrate one after another.
// (drizzle's and postgrator's migrators take no lock, and postgrator records a migration in a
// separate statement from running it, so a crash in between would re-apply it.)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../logger.ts';
import type { Database, Queryable } from './database.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));
/** Arbitrary but fixed: every replica must use the same key. */
const MIGRATION_LOCK = 727_000_001;

interface Migration { version: number; name: string; id: string; sql: string; checksum: string }

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = fs.readdirSync(dir)
    .map((file) => ({ file, match: /^(\d+)_([\w-]+)\.sql$/.exec(file) }))
    .filter((f): f is { file: string; match: RegExpExecArray } => f.match !== null)
    .map(({ file, match }) => {
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      return { version: Number(match[1]), name: match[2]!, id: file.slice(0, -4), sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (i > 0 && m.version === migrations[i - 1]!.version) throw new Error(`two migrations share version ${m.version}`);
  });
  return migrations;
}

/** The highest migration version recorded as applied (0 when none is). */
export async function appliedVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}

export async function migrate(db: Database, options: { logger?: Logger; dir?: string } = {}): Promise<string[]> {
  const migrations = readMigrations(options.dir);
  return db.withSession(async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await session.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await session.query<{ version: number; name: string; checksum: string }>(
        'SELECT version, name, checksum FROM schema_migrations ORDER BY version');
      const applied = new Map(rows.map((r) => [r.version, r]));
      for (const m of migrations) {
        const done = applied.get(m.version);
        if (done && done.checksum !== m.checksum) {
          throw new Error(`migration ${m.id} was edited after it was applied; add a new migration instead`);
        }
      }
      const known = new Set(migrations.map((m) => m.version));
      const unknown = rows.filter((r) => !known.has(r.version));
      if (unknown.length) {
        options.logger?.warn({ versions: unknown.map((r) => r.version) }, 'database has migrations this version does not know (newer code ran here?)');
      }

      const names: string[] = [];
      for (const m of migrations.filter((m) => !applied.has(m.version))) {
        await session.exec('BEGIN');
        try {
          await session.exec(m.sql);
          await session.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
          await session.exec('COMMIT');
        } catch (err) {
          await session.exec('ROLLBACK').catch(() => {});
          throw new Error(`migration ${m.id} failed: ${(err as Error).message}`, { cause: err });
        }
        names.push(`${m.id}`);
        options.logger?.info({ migration: `${m.id}` }, 'migration applied');
      }
      return names;
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    }
  });
}
