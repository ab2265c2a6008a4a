// The one place that reads the environment (and `.env`). Everything else receives a Config.
// Validation collects every problem before failing, so a bad deployment is fixed in one pass.
import fs from 'node:fs';
import net from 'node:net';
import { parseEnv } from 'node:util';
import envSchema from 'env-schema';
import { Type, type Static } from 'typebox';
import { DATASETS, type Dataset } from './sources/source.ts';
import { badTickers, TICKER_RULE, tickerList } from './model/bar.ts';

const Env = Type.Object({
  DATABASE_URL: Type.Optional(Type.String()),
  DATABASE_READ_URLS: Type.Optional(Type.String()),
  REPLICA_MAX_LAG_MS: Type.Integer({ default: 5000, minimum: 100, maximum: 3_600_000 }),
  REPLICA_WAIT_MS: Type.Integer({ default: 250, minimum: 0, maximum: 60_000 }),
  READ_YOUR_WRITES_WINDOW_MS: Type.Integer({ default: 2000, minimum: 0, maximum: 3_600_000 }),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  EMBEDDED_SQL_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ default: 8000, minimum: 0, maximum: 65535 }),
  API_KEY: Type.Optional(Type.String()),
  ALLOW_OPEN_WRITES: Type.String({ default: 'false' }),
  LOG_LEVEL: Type.String({ default: 'info' }),
  LOG_FORMAT: Type.Optional(Type.String()),
  DEFAULT_PAGE_SIZE: Type.Integer({ default: 50, minimum: 1 }),
  MAX_PAGE_SIZE: Type.Integer({ default: 1000, minimum: 1, maximum: 10000 }),
  WORKERS: Type.Integer({ default: 1, minimum: 1, maximum: 64 }),
  DATABASE_POOL_SIZE: Type.Integer({ default: 10, minimum: 2, maximum: 1000 }), // the ETL holds one for its run lock
  ALPHA_VANTAGE_API_KEY: Type.String({ default: 'demo', minLength: 1 }),
  ALPHA_VANTAGE_BASE_URL: Type.String({ default: 'https://www.alphavantage.co/query' }),
  ALPHA_VANTAGE_REQUESTS_PER_MINUTE: Type.Integer({ default: 5, minimum: 1, maximum: 100000 }),
  ALPHA_VANTAGE_REQUESTS_PER_DAY: Type.Integer({ default: 25, minimum: 0, maximum: 100000000 }),
  ALPHA_VANTAGE_MIN_INTERVAL_MS: Type.Integer({ default: 1000, minimum: 0, maximum: 3600000 }),
  ALPHA_VANTAGE_MAX_BODY_BYTES: Type.Integer({ default: 8 * 1024 * 1024, minimum: 1024, maximum: 1024 * 1024 * 1024 }),
  ETL_ENABLED: Type.String({ default: 'true' }),
  ETL_INTERVAL_MINUTES: Type.Number({ default: 5, exclusiveMinimum: 0 }),
  DEFAULT_TICKERS: Type.String({ default: 'AAPL,GOOGL,MSFT,AMZN,TSLA' }),
  ETL_DATASETS: Type.String({ default: DATASETS.join(',') }),
  CORPORATE_ACTIONS_REFRESH_DAYS: Type.Number({ default: 7, exclusiveMinimum: 0, maximum: 3660 }),
  ENTITLEMENT_RECHECK_DAYS: Type.Number({ default: 7, exclusiveMinimum: 0, maximum: 3660 }),
  STALE_SESSIONS: Type.Integer({ default: 2, minimum: 0, maximum: 1000 }),
  REQUEST_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 0, maximum: 3_600_000 }),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 0, maximum: 3_600_000 }),
  RATE_LIMIT_PER_MINUTE: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  CORS_ORIGINS: Type.Optional(Type.String()),
  ALLOWED_HOSTS: Type.Optional(Type.String()),
  TRUST_PROXY: Type.String({ default: 'false' }),
});
type RawEnv = Static<typeof Env>;

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface Config {
  /** PostgreSQL server URL (driver suffix such as `+asyncpg` removed); unset means embedded PGlite. */
  databaseUrl: string | undefined;
  /**
   * Streaming replicas of DATABASE_URL that serve reads (db/driver/replicas.ts); empty: every read on
   * the primary. Server only.
   */
  replicas: {
    urls: string[];
    /** A replica further behind the primary than this (ms) is out of rotation until it catches up. */
    maxLagMs: number;
    /** How long a read that must see a write waits for a replica to replay it, then reads the primary. */
    waitMs: number;
    /** After a client's write, its reads for this long (ms) see the write even without X-Write-LSN. */
    readYourWritesWindowMs: number;
  };
  dataDir: string;
  /** While the service runs, its embedded database also accepts PostgreSQL clients on 127.0.0.1:this. */
  embeddedSqlPort: number | undefined;
  host: string;
  port: number;
  apiKey: string | undefined;
  /** Serve without API_KEY on a non-loopback HOST (ALLOW_OPEN_WRITES=true): anyone reaching the port may write. */
  allowOpenWrites: boolean;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty';
  defaultPageSize: number;
  maxPageSize: number;
  databasePoolSize: number;
  /** HTTP processes (node:cluster) sharing the port; more than one needs a server database. */
  workers: number;
  alphaVantage: { apiKey: string; baseUrl: string; requestsPerMinute: number; requestsPerDay: number; minIntervalMs: number; maxBodyBytes: number };
  etl: {
    enabled: boolean;
    intervalMinutes: number;
    defaultTickers: string[];
    /** What a run fetches for each ticker (when due). */
    datasets: Dataset[];
    /** Splits and dividends are fetched again after this many days. */
    actionsRefreshDays: number;
    /** A refused entitlement (a premium-only request) is tried again after this many days. */
    entitlementRecheckDays: number;
  };
  quality: {
    /** A ticker is stale when more than this many sessions were published after its newest bar. */
    staleSessions: number;
  };
  /** statement_timeout in ms (0: none): the server's, or the embedded database worker's (db/driver/pglite.ts). */
  databaseStatementTimeoutMs: number;
  http: {
    /** Time to receive a request and to answer it, in ms (0: none); POST /etl/run is exempt from the latter. */
    requestTimeoutMs: number;
    /** Requests per client IP per minute on /api (0: no limit); by default off on loopback, on elsewhere. */
    rateLimitPerMinute: number;
    /**
     * Origins allowed by CORS, and to make changes from a browser page of another site; empty: CORS
     * off (no Access-Control-* headers), writes from other sites refused. `*` allows any.
     */
    corsOrigins: string[];
    /**
     * Host names the `Host` header may name (lower case, IPv6 without brackets); undefined: any.
     * On a loopback HOST, or when ALLOWED_HOSTS is set: the loopback names, HOST and ALLOWED_HOSTS.
     */
    allowedHosts: string[] | undefined;
    /** Fastify's trustProxy: false, true, or the proxies' addresses/CIDRs. */
    trustProxy: boolean | string[];
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// The original accepted Python's names (DEBUG/INFO/WARNING/ERROR); pino's own names work too.
const LOG_LEVELS: Record<string, LogLevel> = {
  trace: 'trace', debug: 'debug', info: 'info', warn: 'warn', warning: 'warn',
  error: 'error', critical: 'fatal', fatal: 'fatal', silent: 'silent',
};
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);
/** Requests per client IP per minute when HOST is not loopback and RATE_LIMIT_PER_MINUTE is unset. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1200;

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** A host name as compared: lower case, an IPv6 address without its brackets. */
export const bareHost = (host: string): string => host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');

/** Whether HOST reaches this machine only: `localhost`, 127.0.0.0/8, ::1. (0.0.0.0 and :: are every interface.) */
export function isLoopback(host: string): boolean {
  const bare = bareHost(host);
  if (bare === 'localhost') return true;
  const family = net.isIP(bare);
  return family !== 0 && LOOPBACK.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** `postgresql+asyncpg://…` (the original's SQLAlchemy form) → `postgresql://…`. */
export function normaliseDatabaseUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?)\+[a-z0-9]+:\/\//i, '$1://');
}

export interface LoadOptions {
  /** Variables to read instead of process.env (tests). */
  env?: Record<string, string | undefined>;
  /** Read `.env` from the working directory; on by default when reading process.env. */
  dotenv?: boolean;
  isTTY?: boolean;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const source = { ...(options.dotenv ?? !options.env ? readDotenv() : {}), ...definedOnly(options.env ?? process.env) };
  const problems: string[] = [];
  let raw: RawEnv | undefined;
  try {
    raw = envSchema<RawEnv>({ schema: structuredClone(Env) as object, data: [{ ...source }], env: false });
  } catch (err) {
    const errors = (err as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (!errors) throw err;
    for (const e of errors) problems.push(`${e.instancePath.replace(/^\//, '')}: ${e.message ?? 'is invalid'}`);
  }
  // The checks below read the text as given, so they report even when the schema failed.
  const text = (name: keyof RawEnv, fallback: string): string => source[name] ?? fallback;

  const logLevelText = text('LOG_LEVEL', 'info');
  const logLevel = LOG_LEVELS[logLevelText.trim().toLowerCase()];
  if (!logLevel) problems.push(`LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR (any case), got "${logLevelText}"`);

  const format = source.LOG_FORMAT?.trim().toLowerCase();
  if (format && format !== 'json' && format !== 'pretty') problems.push(`LOG_FORMAT: must be json or pretty, got "${source.LOG_FORMAT}"`);

  const etlText = text('ETL_ENABLED', 'true');
  const etlEnabled = etlText.trim().toLowerCase();
  if (!TRUE.has(etlEnabled) && !FALSE.has(etlEnabled)) problems.push(`ETL_ENABLED: must be true or false, got "${etlText}"`);

  const tickers = tickerList([text('DEFAULT_TICKERS', 'AAPL,GOOGL,MSFT,AMZN,TSLA')]);
  const bad = badTickers(tickers);
  if (bad.length) problems.push(`DEFAULT_TICKERS: not tickers (each ${TICKER_RULE}): ${bad.join(', ')}`);

  const openText = text('ALLOW_OPEN_WRITES', 'false');
  const allowOpenWrites = openText.trim().toLowerCase();
  if (!TRUE.has(allowOpenWrites) && !FALSE.has(allowOpenWrites)) problems.push(`ALLOW_OPEN_WRITES: must be true or false, got "${openText}"`);

  const datasetsText = text('ETL_DATASETS', DATASETS.join(','));
  const datasets = [...new Set(datasetsText.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean))];
  const badDatasets = datasets.filter((d) => !(DATASETS as readonly string[]).includes(d));
  if (badDatasets.length || !datasets.length) problems.push(`ETL_DATASETS: must be some of ${DATASETS.join(', ')}, got "${datasetsText}"`);

  let databaseUrl: string | undefined;
  if (source.DATABASE_URL?.trim()) {
    databaseUrl = normaliseDatabaseUrl(source.DATABASE_URL.trim());
    if (!/^postgres(ql)?:\/\/.+/i.test(databaseUrl) || !URL.canParse(databaseUrl)) {
      problems.push('DATABASE_URL: must be a postgresql:// URL (postgresql+asyncpg:// is accepted too)');
    }
  }

  const readUrls = [...new Set((source.DATABASE_READ_URLS ?? '').split(',').map((u) => normaliseDatabaseUrl(u.trim())).filter(Boolean))];
  const badReadUrls = readUrls.filter((u) => !/^postgres(ql)?:\/\/.+/i.test(u) || !URL.canParse(u));
  if (badReadUrls.length) problems.push(`DATABASE_READ_URLS: must be comma-separated postgresql:// URLs (${badReadUrls.length} not)`);
  if (readUrls.length && !source.DATABASE_URL?.trim()) {
    problems.push('DATABASE_READ_URLS: replicas need their primary in DATABASE_URL; the embedded database has no replicas');
  }
  if (readUrls.length > 16) problems.push(`DATABASE_READ_URLS: at most 16 replicas, got ${readUrls.length}`);

  const baseUrl = text('ALPHA_VANTAGE_BASE_URL', 'https://www.alphavantage.co/query');
  if (!URL.canParse(baseUrl) || !/^https?:/.test(baseUrl)) problems.push('ALPHA_VANTAGE_BASE_URL: must be an http(s) URL');

  const apiKey = source.API_KEY?.trim() || undefined;
  if (apiKey !== undefined && apiKey.length < 8) problems.push('API_KEY: must be at least 8 characters when set');

  const corsOrigins = (source.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  const badOrigins = corsOrigins.filter((o) => o !== '*' && !isOrigin(o));
  if (badOrigins.length) problems.push(`CORS_ORIGINS: not origins (scheme://host[:port], or *): ${badOrigins.join(', ')}`);

  const host = text('HOST', '127.0.0.1');
  const hostsText = source.ALLOWED_HOSTS?.trim();
  const givenHosts = hostsText ? hostsText.split(',').map(bareHost).filter(Boolean) : [];
  const badHosts = givenHosts.filter((h) => h !== '*' && !/^[a-z0-9.:-]+$/.test(h));
  if (badHosts.length) problems.push(`ALLOWED_HOSTS: not host names (no scheme, port or path), or *: ${badHosts.join(', ')}`);
  // Bound to loopback, a page of any site can still send requests here through a name that
  // resolves to 127.0.0.1 (DNS rebinding): only the names this machine is reached by are answered,
  // and those given. The loopback names always are (health checks use them).
  const allowedHosts = givenHosts.includes('*') || (!givenHosts.length && !isLoopback(host)) ? undefined
    : [...new Set(['localhost', '127.0.0.1', '::1', bareHost(host), ...givenHosts])];

  const trustText = text('TRUST_PROXY', 'false').trim();
  const trustProxy = TRUE.has(trustText.toLowerCase()) ? true : FALSE.has(trustText.toLowerCase()) ? false
    : trustText.split(',').map((a) => a.trim()).filter(Boolean);
  if (Array.isArray(trustProxy) && trustProxy.some((a) => !/^[0-9a-f.:]+(\/\d{1,3})?$/i.test(a))) {
    problems.push(`TRUST_PROXY: must be true, false or proxy addresses/CIDRs, got "${trustText}"`);
  }

  if (raw?.EMBEDDED_SQL_PORT !== undefined && databaseUrl) {
    problems.push('EMBEDDED_SQL_PORT: only the embedded database listens on it; with DATABASE_URL, connect to that server instead');
  }
  if (raw && raw.WORKERS > 1 && !databaseUrl) {
    problems.push(`WORKERS: ${raw.WORKERS} processes need a PostgreSQL server (DATABASE_URL); the embedded database allows one process`);
  }
  if (raw && raw.DEFAULT_PAGE_SIZE > raw.MAX_PAGE_SIZE) {
    problems.push(`DEFAULT_PAGE_SIZE: must not exceed MAX_PAGE_SIZE (${raw.DEFAULT_PAGE_SIZE} > ${raw.MAX_PAGE_SIZE})`);
  }
  if (problems.length || !raw) throw new ConfigError(problems);

  const isTTY = options.isTTY ?? Boolean(process.stdout.isTTY);
  return {
    databaseUrl,
    replicas: {
      urls: readUrls,
      maxLagMs: raw.REPLICA_MAX_LAG_MS,
      waitMs: raw.REPLICA_WAIT_MS,
      readYourWritesWindowMs: raw.READ_YOUR_WRITES_WINDOW_MS,
    },
    dataDir: raw.DATA_DIR,
    embeddedSqlPort: raw.EMBEDDED_SQL_PORT,
    host: raw.HOST,
    port: raw.PORT,
    apiKey,
    allowOpenWrites: TRUE.has(allowOpenWrites),
    logLevel: logLevel!,
    logFormat: format === 'json' || format === 'pretty' ? format : isTTY ? 'pretty' : 'json',
    defaultPageSize: raw.DEFAULT_PAGE_SIZE,
    maxPageSize: raw.MAX_PAGE_SIZE,
    databasePoolSize: raw.DATABASE_POOL_SIZE,
    workers: raw.WORKERS,
    alphaVantage: {
      apiKey: raw.ALPHA_VANTAGE_API_KEY,
      baseUrl,
      requestsPerMinute: raw.ALPHA_VANTAGE_REQUESTS_PER_MINUTE,
      requestsPerDay: raw.ALPHA_VANTAGE_REQUESTS_PER_DAY,
      minIntervalMs: raw.ALPHA_VANTAGE_MIN_INTERVAL_MS,
      maxBodyBytes: raw.ALPHA_VANTAGE_MAX_BODY_BYTES,
    },
    etl: {
      enabled: TRUE.has(etlEnabled), intervalMinutes: raw.ETL_INTERVAL_MINUTES, defaultTickers: tickers,
      // In the source's order, so runs and plans list datasets the same way whatever order was given.
      datasets: DATASETS.filter((d) => datasets.includes(d)),
      actionsRefreshDays: raw.CORPORATE_ACTIONS_REFRESH_DAYS,
      entitlementRecheckDays: raw.ENTITLEMENT_RECHECK_DAYS,
    },
    quality: { staleSessions: raw.STALE_SESSIONS },
    databaseStatementTimeoutMs: raw.DATABASE_STATEMENT_TIMEOUT_MS,
    http: {
      requestTimeoutMs: raw.REQUEST_TIMEOUT_MS,
      rateLimitPerMinute: raw.RATE_LIMIT_PER_MINUTE ?? (isLoopback(raw.HOST) ? 0 : DEFAULT_RATE_LIMIT_PER_MINUTE),
      corsOrigins: [...new Set(corsOrigins)],
      allowedHosts,
      trustProxy,
    },
  };
}

/**
 * What stops the service from serving with this configuration: writes open to the network. On a
 * HOST other machines can reach, an API key is required unless ALLOW_OPEN_WRITES=true says the
 * operator means it. (The commands that do not listen do not ask.)
 */
export function servingProblems(config: Config): string[] {
  if (config.apiKey || config.allowOpenWrites || isLoopback(config.host)) return [];
  return [`API_KEY: required when HOST (${config.host}) is not a loopback address, or anyone who reaches the port ` +
    'can change and delete data and spend the Alpha Vantage budget. Set API_KEY (8+ characters), bind HOST=127.0.0.1, ' +
    'or set ALLOW_OPEN_WRITES=true to serve open writes knowingly.'];
}

/** What a service without API_KEY says once at start about who may write. */
export function openWritesWarning(config: Config): string | undefined {
  if (config.apiKey) return undefined;
  return isLoopback(config.host)
    ? 'API_KEY is not set: writes (POST, PUT, PATCH, DELETE) are open to every process on this machine'
    : `API_KEY is not set and ALLOW_OPEN_WRITES=true: writes (POST, PUT, PATCH, DELETE) are open to anyone who can reach ${config.host}:${config.port}`;
}

/** `https://example.com` or `http://localhost:5173`: a scheme, a host, maybe a port, nothing else. */
function isOrigin(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return /^https?:$/.test(url.protocol) && url.origin === text.replace(/\/$/, '');
}

function readDotenv(): Record<string, string> {
  try {
    return definedOnly(parseEnv(fs.readFileSync('.env', 'utf8')) as Record<string, string>);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

// An empty variable (`PORT=`) means "unset" in shells and .env files alike.
function definedOnly(env: Record<string, string | undefined>): Partial<Record<keyof RawEnv, string>> & Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}
