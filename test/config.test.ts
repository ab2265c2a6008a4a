import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, normaliseDatabaseUrl } from '../src/config.ts';

const load = (env: Record<string, string>, isTTY = false) => loadConfig({ env, dotenv: false, isTTY });

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(load({})).toEqual({
      databaseUrl: undefined,
      replicas: { urls: [], maxLagMs: 5000, waitMs: 250, readYourWritesWindowMs: 2000 },
      dataDir: './data',
      host: '127.0.0.1',
      port: 8000,
      apiKey: undefined,
      allowOpenWrites: false,
      logLevel: 'info',
      logFormat: 'json',
      defaultPageSize: 50,
      maxPageSize: 1000,
      databasePoolSize: 10,
      workers: 1,
      alphaVantage: { apiKey: 'demo', baseUrl: 'https://www.alphavantage.co/query', requestsPerMinute: 5, requestsPerDay: 25, minIntervalMs: 1000, maxBodyBytes: 8 * 1024 * 1024 },
      etl: {
        enabled: true, intervalMinutes: 5, defaultTickers: ['AAPL', 'GOOGL', 'MSFT', 'AMZN', 'TSLA'],
        datasets: ['daily', 'weekly', 'monthly', 'splits', 'dividends'], actionsRefreshDays: 7, entitlementRecheckDays: 7,
      },
      quality: { staleSessions: 2 },
      databaseStatementTimeoutMs: 30_000,
      http: { requestTimeoutMs: 30_000, rateLimitPerMinute: 0, corsOrigins: [], allowedHosts: ['localhost', '127.0.0.1', '::1'], trustProxy: false },
    });
  });

  it.each([
    [{ LOG_LEVEL: 'DEBUG' }, { logLevel: 'debug' }],
    [{ LOG_LEVEL: 'WARNING' }, { logLevel: 'warn' }],
    [{ LOG_LEVEL: 'Error' }, { logLevel: 'error' }],
    [{ LOG_LEVEL: 'INFO' }, { logLevel: 'info' }],
    [{ ETL_ENABLED: 'True' }, { etl: expect.objectContaining({ enabled: true }) }],
    [{ ETL_ENABLED: 'false' }, { etl: expect.objectContaining({ enabled: false }) }],
    [{ ETL_ENABLED: '0' }, { etl: expect.objectContaining({ enabled: false }) }],
    [{ ETL_INTERVAL_MINUTES: '0.5' }, { etl: expect.objectContaining({ intervalMinutes: 0.5 }) }],
    [{ DEFAULT_TICKERS: ' aapl, msft ,,AAPL' }, { etl: expect.objectContaining({ defaultTickers: ['AAPL', 'MSFT'] }) }],
    [{ PORT: '9000', HOST: '0.0.0.0' }, { port: 9000, host: '0.0.0.0' }],
    [{ DATABASE_URL: 'postgresql+asyncpg://u:p@db:5432/market' }, { databaseUrl: 'postgresql://u:p@db:5432/market' }],
    [{ DATABASE_URL: 'postgres://u@h/db' }, { databaseUrl: 'postgres://u@h/db' }],
    [{ DATABASE_URL: '' }, { databaseUrl: undefined }],
    [{ API_KEY: 'a-long-secret' }, { apiKey: 'a-long-secret' }],
    [{ LOG_FORMAT: 'PRETTY' }, { logFormat: 'pretty' }],
    [{ DEFAULT_PAGE_SIZE: '100', MAX_PAGE_SIZE: '500' }, { defaultPageSize: 100, maxPageSize: 500 }],
    [{ DATABASE_POOL_SIZE: '16' }, { databasePoolSize: 16 }],
    [{ ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '75', ALPHA_VANTAGE_REQUESTS_PER_DAY: '0' }, { alphaVantage: expect.objectContaining({ requestsPerMinute: 75, requestsPerDay: 0 }) }],
    [{ ALPHA_VANTAGE_BASE_URL: 'http://127.0.0.1:9999/query' }, { alphaVantage: expect.objectContaining({ baseUrl: 'http://127.0.0.1:9999/query' }) }],
    [{ ALPHA_VANTAGE_MIN_INTERVAL_MS: '0' }, { alphaVantage: expect.objectContaining({ minIntervalMs: 0 }) }],
    [{ ETL_DATASETS: 'Weekly, daily,weekly' }, { etl: expect.objectContaining({ datasets: ['daily', 'weekly'] }) }],
    [{ CORPORATE_ACTIONS_REFRESH_DAYS: '30', ENTITLEMENT_RECHECK_DAYS: '1.5' }, { etl: expect.objectContaining({ actionsRefreshDays: 30, entitlementRecheckDays: 1.5 }) }],
    [{ ALPHA_VANTAGE_MAX_BODY_BYTES: '2097152' }, { alphaVantage: expect.objectContaining({ maxBodyBytes: 2_097_152 }) }],
    [{ WORKERS: '4', DATABASE_URL: 'postgresql://u@h/db' }, { workers: 4 }],
    [{ EMBEDDED_SQL_PORT: '5433' }, { embeddedSqlPort: 5433 }],
    [{}, { quality: { staleSessions: 2 } }],
    [{ STALE_SESSIONS: '0' }, { quality: { staleSessions: 0 } }],
    [{}, { embeddedSqlPort: undefined }],
    [{ DATABASE_URL: 'postgresql://u@p/db', DATABASE_READ_URLS: ' postgresql://u@r1/db,postgresql+asyncpg://u@r2/db,,postgresql://u@r1/db' },
      { replicas: expect.objectContaining({ urls: ['postgresql://u@r1/db', 'postgresql://u@r2/db'] }) }],
    [{ REPLICA_MAX_LAG_MS: '1000', REPLICA_WAIT_MS: '0', READ_YOUR_WRITES_WINDOW_MS: '0' },
      { replicas: { urls: [], maxLagMs: 1000, waitMs: 0, readYourWritesWindowMs: 0 } }],
  ])('reads %j', (env, expected) => {
    expect(load(env)).toMatchObject(expected);
  });

  it.each([
    [{ DATABASE_READ_URLS: 'postgresql://u@r1/db' }, 'DATABASE_READ_URLS: replicas need their primary in DATABASE_URL'],
    [{ DATABASE_URL: 'postgresql://u@p/db', DATABASE_READ_URLS: 'mysql://r1/db' }, 'DATABASE_READ_URLS: must be comma-separated postgresql:// URLs'],
  ])('refuses replicas in %j', (env, problem) => {
    expect(() => load(env)).toThrow(problem);
  });

  it('logs pretty on a terminal unless LOG_FORMAT says otherwise', () => {
    expect(load({}, true).logFormat).toBe('pretty');
    expect(load({ LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
  });

  it('lists every bad variable at once', () => {
    let error: unknown;
    try {
      load({
        PORT: 'eighty', LOG_LEVEL: 'loud', ETL_ENABLED: 'maybe', DEFAULT_PAGE_SIZE: '0', STALE_SESSIONS: '-1',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.some((p) => p.startsWith('PORT'))).toBe(true);
    expect(problems.some((p) => p.startsWith('DEFAULT_PAGE_SIZE'))).toBe(true);
    expect(problems.some((p) => p.startsWith('STALE_SESSIONS'))).toBe(true);
  });

  it.each([
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
    [{ ETL_ENABLED: 'maybe' }, 'ETL_ENABLED'],
    [{ DEFAULT_PAGE_SIZE: '2000' }, 'DEFAULT_PAGE_SIZE'],
    [{ MAX_PAGE_SIZE: '0' }, 'MAX_PAGE_SIZE'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL'],
    [{ DEFAULT_TICKERS: 'AAPL,NOT A TICKER' }, 'DEFAULT_TICKERS'],
    [{ ETL_DATASETS: 'daily,intraday' }, 'ETL_DATASETS'],
    [{ CORPORATE_ACTIONS_REFRESH_DAYS: '0' }, 'CORPORATE_ACTIONS_REFRESH_DAYS'],
    [{ ALPHA_VANTAGE_MAX_BODY_BYTES: '10' }, 'ALPHA_VANTAGE_MAX_BODY_BYTES'],
    [{ API_KEY: 'short' }, 'API_KEY'],
    [{ ETL_INTERVAL_MINUTES: '0' }, 'ETL_INTERVAL_MINUTES'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '0' }, 'ALPHA_VANTAGE_REQUESTS_PER_MINUTE'],
    [{ ALPHA_VANTAGE_REQUESTS_PER_DAY: '-1' }, 'ALPHA_VANTAGE_REQUESTS_PER_DAY'],
    [{ ALPHA_VANTAGE_MIN_INTERVAL_MS: '-5' }, 'ALPHA_VANTAGE_MIN_INTERVAL_MS'],
    [{ WORKERS: '2' }, 'WORKERS: 2 processes need a PostgreSQL server'],
    [{ WORKERS: '0', DATABASE_URL: 'postgresql://u@h/db' }, 'WORKERS'],
    [{ ALPHA_VANTAGE_BASE_URL: 'not a url' }, 'ALPHA_VANTAGE_BASE_URL'],
    [{ EMBEDDED_SQL_PORT: '0' }, 'EMBEDDED_SQL_PORT'],
    [{ EMBEDDED_SQL_PORT: '5433', DATABASE_URL: 'postgresql://u@h/db' }, 'EMBEDDED_SQL_PORT: only the embedded database'],
  ])('rejects %j naming %s', (env, variable) => {
    expect(() => load(env)).toThrow(ConfigError);
    try {
      load(env);
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toContain(variable);
    }
  });
});

describe('normaliseDatabaseUrl', () => {
  it.each([
    ['postgresql+asyncpg://a:b@h:5432/d', 'postgresql://a:b@h:5432/d'],
    ['postgres+psycopg://h/d', 'postgres://h/d'],
    ['postgresql://h/d', 'postgresql://h/d'],
  ])('%s → %s', (input, output) => expect(normaliseDatabaseUrl(input)).toBe(output));
});

describe('row parsers shared by both drivers', async () => {
  const { parsers, OID } = await import('../src/db/driver/database.ts');
  it.each([
    ['2024-01-15 10:00:00.123456+00', '2024-01-15T10:00:00.123456Z'],
    ['2024-01-15 10:00:00.12+00', '2024-01-15T10:00:00.120000Z'],
    ['2024-01-15 10:00:00+00', '2024-01-15T10:00:00.000000Z'],
    ['2024-01-15 11:00:00.5+01', '2024-01-15T10:00:00.500Z'],
  ])('timestamptz %s → %s', (text, iso) => expect(parsers[OID.TIMESTAMPTZ]!(text)).toBe(iso));
  it.each([
    ['42', 42], ['3000000000', 3000000000], ['9007199254740993', '9007199254740993'],
  ])('int8 %s → %j', (text, value) => expect(parsers[OID.INT8]!(text)).toBe(value));
  it('keeps numeric and date text as is', () => {
    expect(parsers[OID.NUMERIC]!('150.100000')).toBe('150.100000');
    expect(parsers[OID.DATE]!('2024-02-29')).toBe('2024-02-29');
  });
});
