// Prometheus metrics (prom-client), served at GET /metrics. Every metric is listed in
// docs/operations.md "Metrics". One module-level registry per process: when the service runs several workers
// (node:cluster), each worker calls `AggregatorRegistry.setRegistries([registry])` and the primary
// serves the sum through prom-client's AggregatorRegistry — counters and histograms add up, and
// each gauge says below how it aggregates.
import cluster from 'node:cluster';
import client from 'prom-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PoolStats, ReplicaState, ReplicaStatus } from './db/driver/database.ts';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry }); // process CPU, memory, event-loop lag, GC

/** A counter in this process's registry. */
function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): client.Counter<L> {
  return new client.Counter({ name, help, labelNames, registers: [registry] });
}

const httpRequests = counter('http_requests_total',
  'HTTP requests answered, by method, route pattern and status',
  ['method', 'route', 'status']);
const httpDuration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time from receiving a request to finishing its response, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const etlRuns = counter('etl_runs_total',
  'Finished ETL runs by trigger (schedule, api, cli) and status (completed, failed, aborted)',
  ['trigger', 'status']);
const etlRunDuration = new client.Histogram({
  name: 'etl_run_duration_seconds',
  help: 'Duration of finished ETL runs, by trigger',
  labelNames: ['trigger'] as const,
  buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
  registers: [registry],
});
const etlTickers = counter('etl_tickers_total',
  'Tickers processed by ETL runs, by outcome (success, no_new_data, skipped, failed, deferred)',
  ['status']);
const etlRows = counter('etl_rows_total',
  'Rows handled by the ETL loader: inserted, updated, unchanged, or rejected by validation',
  ['outcome']);
const sourceRequests = counter('etl_source_requests_total',
  'Requests sent to a data source, retries included, by outcome (data, refused, quota, credentials, not_found, rate_limited, transient, error)',
  ['source', 'outcome']);

type BudgetSource = () => Promise<number>;
type PoolSource = () => PoolStats;
/** Tickers by status (ok, warning, error) and findings by kind, summed over tickers. */
export interface QualityTotals { tickers: Record<string, number>; findings: Record<string, number> }
type QualitySource = () => Promise<QualityTotals>;
interface ReplicaSource { statuses(): ReplicaStatus[]; primaryReads(): number }
const budgetSources: BudgetSource[] = [];
const poolSources: PoolSource[] = [];
const replicaSources: ReplicaSource[] = [];
const qualitySources: QualitySource[] = [];
const REPLICA_STATES: readonly ReplicaState[] = ['starting', 'up', 'lagging', 'down', 'not_standby'];

// Replicas are named replica-N by their place in DATABASE_READ_URLS: labels stay bounded.
new client.Gauge({
  name: 'db_replica_state',
  help: 'Each read replica\'s state, 1 for the current one: up (in rotation), lagging, down, not_standby, starting',
  labelNames: ['replica', 'state'] as const,
  registers: [registry],
  aggregator: 'max', // every worker checks the same replicas
  collect() {
    this.reset();
    for (const r of replicaSources.at(-1)?.statuses() ?? []) {
      for (const state of REPLICA_STATES) this.set({ replica: r.name, state }, r.state === state ? 1 : 0);
    }
  },
});
new client.Gauge({
  name: 'db_replica_lag_seconds',
  help: 'How far each read replica\'s replay is behind the primary: the age of the oldest primary WAL position it has not replayed',
  labelNames: ['replica'] as const,
  registers: [registry],
  aggregator: 'max',
  collect() {
    this.reset();
    for (const r of replicaSources.at(-1)?.statuses() ?? []) if (r.lagMs !== null) this.set({ replica: r.name }, r.lagMs / 1000);
  },
});
new client.Gauge({
  name: 'db_replica_lag_bytes',
  help: 'WAL bytes between the primary\'s position and each read replica\'s replay position',
  labelNames: ['replica'] as const,
  registers: [registry],
  aggregator: 'max',
  collect() {
    this.reset();
    for (const r of replicaSources.at(-1)?.statuses() ?? []) if (r.lagBytes !== null) this.set({ replica: r.name }, r.lagBytes);
  },
});
new client.Counter({
  name: 'db_reads_total',
  help: 'Read statements by the server that answered them (replica-N, or primary when none was in rotation, none replayed the client\'s write in time, or a replica failed)',
  labelNames: ['server'] as const,
  registers: [registry],
  collect() {
    this.reset();
    const source = replicaSources.at(-1);
    if (!source) return;
    for (const r of source.statuses()) this.inc({ server: r.name }, r.reads);
    this.inc({ server: 'primary' }, source.primaryReads());
  },
});
new client.Counter({
  name: 'db_replica_read_failures_total',
  help: 'Reads that failed on a replica and were read again on another server',
  labelNames: ['replica'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const r of replicaSources.at(-1)?.statuses() ?? []) this.inc({ replica: r.name }, r.failures);
  },
});

// Collected before the budget gauge, whose query would otherwise show up as a waiting request.
new client.Gauge({
  name: 'db_pool_connections',
  help: 'Database pool connections by state: total (open), idle, waiting (requests queued for a connection); the embedded database is reached through a pool too',
  labelNames: ['state'] as const,
  registers: [registry],
  aggregator: 'sum', // one pool per worker
  collect() {
    this.reset();
    if (!poolSources.length) return;
    const sum = { total: 0, idle: 0, waiting: 0 };
    for (const source of poolSources) {
      const s = source();
      sum.total += s.total;
      sum.idle += s.idle;
      sum.waiting += s.waiting;
    }
    for (const [state, value] of Object.entries(sum)) this.set({ state }, value);
  },
});
new client.Gauge({
  name: 'etl_source_budget_remaining',
  help: "Requests to the ETL's source (Alpha Vantage) left in today's budget (New York day), read from the database at scrape time",
  registers: [registry],
  aggregator: 'min', // every worker reads the same shared count
  async collect() {
    const source = budgetSources.at(-1);
    if (!source) return;
    try {
      this.set(await source());
    } catch {
      this.reset(); // database unreachable: no value rather than a stale one
    }
  },
});

// The quality report (docs/quality.md): labels are the fixed statuses and kinds, never tickers.
// A report reads every bar (seconds on the embedded database, which has one connection), so
// scrapes share one report for a minute.
const QUALITY_METRICS_TTL_MS = 60_000;
let qualityRead: Promise<QualityTotals | undefined> | undefined;
function readQuality(): Promise<QualityTotals | undefined> {
  const source = qualitySources.at(-1);
  if (!source) return Promise.resolve(undefined);
  qualityRead ??= source().catch(() => undefined).finally(() => setTimeout(() => { qualityRead = undefined; }, QUALITY_METRICS_TTL_MS).unref());
  return qualityRead;
}
new client.Gauge({
  name: 'data_quality_tickers',
  help: 'Stored tickers by quality status (ok, warning, error) against the exchange calendar',
  labelNames: ['status'] as const,
  registers: [registry],
  aggregator: 'max', // every worker reads the same database
  async collect() {
    this.reset();
    const q = await readQuality();
    if (q) for (const [status, n] of Object.entries(q.tickers)) this.set({ status }, n);
  },
});
new client.Gauge({
  name: 'data_quality_findings',
  help: 'Quality findings over every ticker by kind (missing, non_session, possible_split, unit_error, zero_volume, provisional, stale)',
  labelNames: ['kind'] as const,
  registers: [registry],
  aggregator: 'max',
  async collect() {
    this.reset();
    const q = await readQuality();
    if (q) for (const [kind, n] of Object.entries(q.findings)) this.set({ kind }, n);
  },
});

// ---- recording, called from the ETL (one line each) ----

export function recordSourceRequest(source: string, outcome: string): void {
  sourceRequests.inc({ source, outcome });
}

export function recordEtlTicker(r: { status: string; inserted: number; updated: number; unchanged: number; rejected: number }): void {
  etlTickers.inc({ status: r.status });
  if (r.inserted) etlRows.inc({ outcome: 'inserted' }, r.inserted);
  if (r.updated) etlRows.inc({ outcome: 'updated' }, r.updated);
  if (r.unchanged) etlRows.inc({ outcome: 'unchanged' }, r.unchanged);
  if (r.rejected) etlRows.inc({ outcome: 'rejected' }, r.rejected);
}

export function recordEtlRun(trigger: string, status: string, startedAt?: string): void {
  etlRuns.inc({ trigger, status });
  if (startedAt) etlRunDuration.observe({ trigger }, Math.max(0, (Date.now() - Date.parse(startedAt)) / 1000));
}

// ---- HTTP ----

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
interface Series { count: client.Counter.Internal; duration: client.Histogram.Internal<'method' | 'route' | 'status'> }
// The labelled children are looked up once per (method, route, status): the per-request cost is a
// Map lookup, an increment and a bucket search.
const series = new Map<string, Series>();

function observe(request: FastifyRequest, reply: FastifyReply): void {
  // The route pattern (`/api/v1/market-data/:id`), never the raw URL: label values stay bounded.
  const route = request.routeOptions.url ?? 'unmatched';
  const method = METHODS.has(request.method) ? request.method : 'OTHER';
  const status = reply.statusCode;
  const key = `${method} ${status} ${route}`;
  let s = series.get(key);
  if (!s) {
    const labels = [method, route, String(status)] as const;
    s = { count: httpRequests.labels(...labels), duration: httpDuration.labels(...labels) };
    series.set(key, s);
  }
  s.count.inc();
  s.duration.observe(reply.elapsedTime / 1000);
}

interface MetricsSources {
  /** Requests left in today's Alpha Vantage budget. */
  budget?: BudgetSource;
  /** The database's pool, when it has one. */
  pool?: PoolSource;
  /** The read replicas, when DATABASE_READ_URLS is set. */
  replicas?: ReplicaSource;
  /** Totals of the quality report. */
  quality?: QualitySource;
}

// ---- several workers (node:cluster): the primary sums every worker's registry ----

const ASK = 'market-data:metrics?';
const ANSWER = 'market-data:metrics';
let fromPrimary = false;
let asked = 0;
const waiting = new Map<number, (text: string | undefined) => void>();

/** In a worker: GET /metrics answers for the whole service, as the primary sums it. */
export function shareMetricsWithPrimary(): void {
  new client.AggregatorRegistry(); // installs prom-client's worker side, which answers the primary
  client.AggregatorRegistry.setRegistries([registry]);
  fromPrimary = true;
  process.on('message', (message: { type?: string; id?: number; text?: string }) => {
    if (message?.type !== ANSWER || message.id === undefined) return;
    waiting.get(message.id)?.(message.text);
    waiting.delete(message.id);
  });
}

/** In the primary: answers workers asking for the service's metrics. */
export function answerWorkersMetrics(): void {
  const aggregator = new client.AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: string; id?: number }) => {
    if (message?.type !== ASK) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: ANSWER, id: message.id, text }),
      () => worker.send({ type: ANSWER, id: message.id }),
    );
  });
}

/** The whole service's metrics from the primary; undefined if it does not answer in time. */
function askPrimary(): Promise<string | undefined> {
  const id = asked++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => { waiting.delete(id); resolve(undefined); }, 6000);
    waiting.set(id, (text) => { clearTimeout(timer); resolve(text); });
    process.send!({ type: ASK, id });
  });
}

/** Counts every request and serves GET /metrics; the sources are read at scrape time. */
export function registerMetrics(app: FastifyInstance, sources: MetricsSources): void {
  if (sources.budget) budgetSources.push(sources.budget);
  if (sources.pool) poolSources.push(sources.pool);
  if (sources.replicas) replicaSources.push(sources.replicas);
  if (sources.quality) qualitySources.push(sources.quality);
  app.addHook('onClose', (_app, done) => {
    for (const [list, item] of [[budgetSources, sources.budget], [poolSources, sources.pool], [replicaSources, sources.replicas], [qualitySources, sources.quality]] as const) {
      const i = item ? (list as unknown[]).indexOf(item) : -1;
      if (i >= 0) list.splice(i, 1);
    }
    qualityRead = undefined; // another app (a test's) reads another database
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    observe(request, reply);
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    // A worker that cannot reach the primary still answers, with its own share.
    reply.type(registry.contentType).send((fromPrimary && await askPrimary()) || await registry.metrics()));
}
