// Replicas starting at once, and rows arriving by psql's \copy: the paths a real deployment takes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../../src/db/driver/migrate.ts';
import { openPostgres } from '../../../src/db/driver/postgres.ts';
import type { Database } from '../../../src/db/driver/database.ts';
import { createServerDatabase, SERVER_URL } from '../../helpers/databases.ts';

describe.runIf(SERVER_URL)('migrations on the PostgreSQL server', () => {
  let created: Awaited<ReturnType<typeof createServerDatabase>>;
  const replicas: Database[] = [];
  beforeAll(async () => {
    created = await createServerDatabase();
    for (let i = 0; i < 4; i++) replicas.push(await openPostgres({ url: created.url, poolSize: 2 }));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    await created?.drop();
  });

  it('applies each migration once when four replicas start together', async () => {
    const results = await Promise.all(replicas.map((db) => migrate(db)));
    const applied = results.flat();
    expect(applied.sort()).toEqual(readMigrations().map((m) => m.id).sort());
    const { rows } = await replicas[0]!.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
    expect(rows[0]!.n).toBe(readMigrations().length);
  });

  it('keeps the per-day counts exact for rows loaded with psql \\copy', async () => {
    const csv = path.join(os.tmpdir(), `md-copy-${process.pid}.csv`);
    const lines = [];
    for (let d = 1; d <= 28; d++) for (const t of ['CP1', 'CP2', 'CP3']) lines.push(`${t},2023-02-${String(d).padStart(2, '0')},10,11,9,10.5,1000`);
    fs.writeFileSync(csv, `${lines.join('\n')}\n`);
    try {
      execFileSync('psql', [created.url, '-v', 'ON_ERROR_STOP=1', '-qc',
        `\\copy market_data (ticker, date, open, high, low, close, volume) FROM '${csv}' WITH (FORMAT csv)`]);
    } finally {
      fs.rmSync(csv, { force: true });
    }
    const { rows } = await replicas[0]!.query<{ kept: number; counted: number }>(`
      SELECT (SELECT sum(rows)::bigint FROM market_data_day_totals) AS kept, (SELECT count(*) FROM market_data) AS counted`);
    expect(rows[0]).toEqual({ kept: 84, counted: 84 });
  });
});
