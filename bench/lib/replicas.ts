// The `replicas` part (issue 19): s1 (reads) and s6 (writes) against the service on a private
// primary alone and on the same primary with two streaming replicas (DATABASE_READ_URLS), in
// alternating slices of the same run. On a 2-core host the primary, both replicas, the service
// and the load generator share the same cores, so this measures the routing's overhead more than
// any gain: replicas add CPUs only on other machines.
import pg from 'pg';
import { createReplicaCluster } from '../../test/helpers/replica-cluster.ts';
import { load, type LoadResult, type Target } from './http-load.ts';
import { startService } from './process.ts';
import { ensureSeeded, type Dataset } from './seed.ts';

export interface ReplicaBench {
  dataset: Dataset;
  /** Per scenario: the primary alone and with replicas (medians of the slices), and the median of each run's with ÷ alone. */
  s1: { primary: LoadResult; replicas: LoadResult; ratio: number };
  s6: { primary: LoadResult; replicas: LoadResult; ratio: number };
  /** Read statements each server answered during the replicas' slices. */
  reads_by_server: Record<string, number>;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
const medianOf = (rs: LoadResult[]): LoadResult => ({
  rps: median(rs.map((r) => r.rps)), p50_ms: median(rs.map((r) => r.p50_ms)), p99_ms: median(rs.map((r) => r.p99_ms)),
  errors: rs.reduce((n, r) => n + r.errors, 0), requests: rs.reduce((n, r) => n + r.requests, 0), non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
});

export async function replicaPart(options: { runs: number; seconds: number; warmup: number; connections: number; log: (line: string) => void }): Promise<ReplicaBench> {
  const { log } = options;
  const dataset: Dataset = { tickers: 100, days: 2000, endDate: '2024-12-31' };
  log('replicas: starting a private primary and two replicas…');
  const cluster = await createReplicaCluster(2);
  const onDb = (url: string) => { const u = new URL(url); u.pathname = '/md_bench_replicas'; return u.toString(); };
  try {
    await ensureSeeded(onDb(cluster.primary.url), dataset, log);
    await cluster.caughtUp(120_000);
    const client = new pg.Client({ connectionString: onDb(cluster.primary.url) });
    await client.connect();
    const { first, last } = (await client.query(`SELECT to_char(min(date), 'YYYY-MM-DD') AS first, to_char(max(date), 'YYYY-MM-DD') AS last FROM market_data WHERE ticker = 'T0001'`)).rows[0];
    await client.end();
    const common = { DATABASE_URL: onDb(cluster.primary.url), WORKERS: '1', DATABASE_POOL_SIZE: '16', LOG_LEVEL: 'warn', ETL_ENABLED: 'false' };
    const alone = await startService(common);
    const withReplicas = await startService({ ...common, DATABASE_READ_URLS: cluster.replicas.map((r) => onDb(r.url)).join(',') });
    try {
      const slices: Record<'s1' | 's6', { primary: LoadResult[]; replicas: LoadResult[] }> = { s1: { primary: [], replicas: [] }, s6: { primary: [], replicas: [] } };
      for (let run = 1; run <= options.runs; run++) {
        for (const kind of ['s1', 's6'] as const) {
          for (const [side, service] of [['primary', alone], ['replicas', withReplicas]] as const) {
            const target: Target = { url: service.url, ntickers: dataset.tickers, firstDate: first, lastDate: last, maxId: dataset.tickers * dataset.days, tag: `R${side[0]}${run}${Date.now().toString(36).slice(-3)}` };
            const r = await load(target, { kind }, options.connections, options.seconds, options.warmup);
            slices[kind][side].push(r);
            log(`replicas run ${run} ${kind} ${side}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99_ms.toFixed(1)} ms, ${r.errors + r.non2xx} errors/non-2xx`);
          }
        }
      }
      const metrics = await (await fetch(`${withReplicas.url}/metrics`)).text();
      const reads = Object.fromEntries([...metrics.matchAll(/^db_reads_total\{server="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
      const summary = (kind: 's1' | 's6') => {
        const primary = medianOf(slices[kind].primary);
        const replicas = medianOf(slices[kind].replicas);
        // Paired: each run's two slices are next to each other, so the host's drift between runs cancels.
        return { primary, replicas, ratio: median(slices[kind].replicas.map((r, i) => r.rps / slices[kind].primary[i]!.rps)) };
      };
      return { dataset, s1: summary('s1'), s6: summary('s6'), reads_by_server: reads };
    } finally {
      await alone.stop();
      await withReplicas.stop();
    }
  } finally {
    cluster.destroy();
  }
}
