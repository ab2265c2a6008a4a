// The real application over a real test database, driven through `inject`.
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { buildApp, type AppDeps } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Database } from '../../src/db/driver/database.ts';
import { createEtl } from '../../src/etl/index.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { openTestDatabase, type DatabaseKind, type TestDatabase } from './databases.ts';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ env: { LOG_LEVEL: 'silent', LOG_FORMAT: 'json', ETL_ENABLED: 'false', ...env }, dotenv: false, isTTY: false });
}

/** A logger whose JSON lines are kept in `lines`. */
export function captureLogger(config: Config): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const logger = createLogger({
    level: config.logLevel === 'silent' ? 'silent' : config.logLevel,
    format: 'json',
    secrets: [config.apiKey, config.alphaVantage.apiKey],
    destination,
  });
  return { logger, lines };
}

export async function testApp(db: Database, env: Record<string, string> = {}): Promise<FastifyInstance & { logLines: string[] }> {
  const config = testConfig(env);
  const { logger, lines } = captureLogger(config);
  const app = await appWithEtl({ config, db, logger });
  await app.ready();
  return Object.assign(app, { logLines: lines });
}

/** The app over an ETL built as the server builds it (createEtl), closed with the app. */
export async function appWithEtl(deps: Omit<AppDeps, 'etl'>): Promise<FastifyInstance> {
  const etl = createEtl(deps.config, deps.db, deps.logger);
  const app = await buildApp({ ...deps, etl });
  app.addHook('onClose', () => etl.close());
  return app;
}

export const bar = (overrides: Record<string, unknown> = {}) => ({
  ticker: 'AAPL', date: '2024-01-15', open: 150, high: 155, low: 149, close: 153, volume: 1_000_000, ...overrides,
});

export interface TestAppFixture {
  t: TestDatabase;
  app: Awaited<ReturnType<typeof testApp>>;
}

/**
 * Registers the hooks of a describe block served by one app over one migrated test database; the
 * returned object is filled in by `beforeAll`. `seed` runs once before the app starts; `resetEach`
 * empties market_data before each test.
 */
export function useTestApp(kind: DatabaseKind, options: { seed?: (db: Database) => Promise<unknown>; resetEach?: boolean } = {}): TestAppFixture {
  const fixture = {} as TestAppFixture;
  beforeAll(async () => {
    fixture.t = await openTestDatabase(kind);
    await options.seed?.(fixture.t.db);
    fixture.app = await testApp(fixture.t.db);
  });
  afterAll(async () => {
    await fixture.app?.close();
    await fixture.t?.drop();
  });
  if (options.resetEach) beforeEach(async () => { await fixture.t.reset(); });
  return fixture;
}

/**
 * Every item GET /api/v1/market-data returns for `query`, in pages of 1,000 walking next_cursor.
 * `parse` reads a page's body (JSON.parse unless given).
 */
export async function listAllMarketData<T>(app: FastifyInstance, query: string, parse: (body: string) => unknown = JSON.parse): Promise<T[]> {
  const items: T[] = [];
  let cursor = '';
  for (;;) {
    const res = await app.inject(`/api/v1/market-data?size=1000&${query}${cursor && `&cursor=${cursor}`}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = parse(res.body) as { items: T[]; next_cursor: string | null };
    items.push(...body.items);
    if (!body.next_cursor) return items;
    cursor = body.next_cursor;
  }
}
