// What differs by kind of database (src/db/driver/profile.ts): the table, and the embedded database's
// pause after a load, which lasts while other connections use the database, up to a bound.
import { describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/driver/database.ts';
import { BUSY_WITHIN_MS, LOAD_YIELD_FACTOR, profileOf, registerEmbedded } from '../../../src/db/driver/profile.ts';

const fake = (kind: Database['kind']) => ({ kind }) as Database;

describe('profileOf', () => {
  it.each([
    ['postgres', { loadsAtOnce: 2, loadBatchSize: 5000, exportBatchSize: 5000, countFoldStep: undefined, derivedFoldStep: undefined, ownVacuum: false, newTickerSteps: false }],
    ['pglite', { loadsAtOnce: 1, loadBatchSize: 500, exportBatchSize: 1000, countFoldStep: 500, derivedFoldStep: 1, ownVacuum: true, newTickerSteps: true }],
  ] as const)('%s', (kind, expected) => {
    expect(profileOf(fake(kind))).toMatchObject(expected);
  });

  it('waits out a server only for transient start-up errors', () => {
    const server = profileOf(fake('postgres'));
    expect(server.transientAtStart(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(server.transientAtStart(Object.assign(new Error('x'), { code: '42P01' }))).toBe(false);
    expect(profileOf(fake('pglite')).transientAtStart(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(false);
  });
});

describe('the pause after a load', () => {
  const timed = async (fn: () => Promise<void>) => { const t = Date.now(); await fn(); return Date.now() - t; };

  it('does not pause on a server, nor when nobody else used the embedded database', async () => {
    expect(await timed(() => profileOf(fake('postgres')).afterLoad(100))).toBeLessThan(20);
    const db = fake('pglite');
    registerEmbedded(db, { othersActiveAt: () => Date.now() - 10_000 });
    expect(await timed(() => profileOf(db).afterLoad(100))).toBeLessThan(20);
  });

  it('lasts while others keep using the database, up to the bound', async () => {
    const db = fake('pglite');
    registerEmbedded(db, { othersActiveAt: () => Date.now() });
    const waited = await timed(() => profileOf(db).afterLoad(20));
    expect(waited).toBeGreaterThanOrEqual(LOAD_YIELD_FACTOR * 20 - 10);
    expect(waited).toBeLessThan(LOAD_YIELD_FACTOR * 20 + 200);
  });

  it('counts others busy just before the load, and ends once they are quiet', async () => {
    const db = fake('pglite');
    const before = Date.now() - 60; // active 60 ms before a 50 ms load ended: just before it began
    registerEmbedded(db, { othersActiveAt: () => before });
    const waited = await timed(() => profileOf(db).afterLoad(50));
    expect(waited).toBeGreaterThanOrEqual(Math.min(BUSY_WITHIN_MS, LOAD_YIELD_FACTOR * 50) - 10);
    expect(waited).toBeLessThan(Math.max(BUSY_WITHIN_MS, LOAD_YIELD_FACTOR * 50) + 50);
  });

  it('calls the embedded database busy while others used it within BUSY_WITHIN_MS; a server never', () => {
    expect(profileOf(fake('postgres')).busy()).toBe(false);
    let at = Date.now();
    const db = fake('pglite');
    registerEmbedded(db, { othersActiveAt: () => at });
    expect(profileOf(db).busy()).toBe(true);
    at = Date.now() - BUSY_WITHIN_MS - 1;
    expect(profileOf(db).busy()).toBe(false);
  });

  it('ends at once when the run is stopped', async () => {
    const db = fake('pglite');
    registerEmbedded(db, { othersActiveAt: () => Date.now() });
    expect(await timed(() => profileOf(db).afterLoad(1000, AbortSignal.abort()))).toBeLessThan(20);
  });
});
