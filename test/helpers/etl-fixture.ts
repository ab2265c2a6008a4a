// The setup the ETL tests share: a migrated test database and a fake Alpha Vantage per describe
// block, both emptied before each test so that every test starts from nothing.
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { openTestDatabase, type DatabaseKind, type TestDatabase } from './databases.ts';
import { startFakeAlphaVantage, type FakeAlphaVantage, type FakeOptions } from './fake-alpha-vantage.ts';

export interface EtlFixture {
  t: TestDatabase;
  fake: FakeAlphaVantage;
}

/** Registers the hooks; the returned object is filled in by `beforeAll`. `tables` are truncated before each test. */
export function useEtlFixture(kind: DatabaseKind, fakeOptions: FakeOptions, tables: string[]): EtlFixture {
  const fixture = {} as EtlFixture;
  beforeAll(async () => {
    [fixture.t, fixture.fake] = await Promise.all([openTestDatabase(kind), startFakeAlphaVantage(fakeOptions)]);
  });
  afterAll(async () => {
    await fixture.fake?.close();
    await fixture.t?.drop();
  });
  beforeEach(async () => {
    await fixture.t.db.exec(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`);
    fixture.fake.requests.length = 0;
  });
  return fixture;
}

/** Something was logged, and none of it holds `key`. */
export function expectKeyNotLogged(logSources: string[][], key: string): void {
  const all = logSources.flat();
  expect(all.length).toBeGreaterThan(0);
  expect(all.filter((l) => l.includes(key))).toEqual([]);
}
