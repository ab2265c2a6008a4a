// The embedded database before and after its move into a worker thread, in one run: the service
// of BENCH_BASELINE (PGlite on the service's own thread, with the traffic hooks and staged loads
// that came with it) and this checkout's service, each on its own copy of the same 200k-row data
// directory, measured in alternating slices so that the host's drift slows both alike.
//   - s1, s4, s6 req/s and p99 (the targets: after ≥ 90%, 70%, 70% of before);
//   - health probed every 100 ms while one unfiltered export streams to a fast client.
// The baseline is this repository's own history (`git archive`), run with this checkout's
// node_modules (the commits share their dependencies).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load, type LoadResult, type Scenario, type Target } from './http-load.ts';
import { seededPglite } from './ingest.ts';
import { ROOT, startService, type Child } from './process.ts';

/** The last commit with PGlite on the service's thread. */
export const BASELINE_REF = process.env.BENCH_BASELINE ?? 'a97d99cba73049be98c37a73aadd83bfea5b13c4';

export interface Side { name: 'before' | 'after'; root: string }

/** The baseline's tree in a temporary directory, or undefined (and why) when git cannot give it. */
export function baselineTree(): { root?: string; note?: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'md-bench-baseline-'));
  try {
    const tar = execFileSync('git', ['archive', '--format=tar', BASELINE_REF], { cwd: ROOT, maxBuffer: 256 * 2 ** 20 });
    execFileSync('tar', ['-x', '-C', root], { input: tar });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
    return { root };
  } catch (err) {
    fs.rmSync(root, { recursive: true, force: true });
    return { note: `baseline ${BASELINE_REF} unavailable: ${(err as Error).message.split('\n')[0]}` };
  }
}

export interface HealthDuringExport { export_ms: number; export_bytes: number; probes: number; max_ms: number; p99_ms: number; over_100ms: number }

/** One unfiltered export read as fast as it comes, with GET /health every 100 ms meanwhile. */
export async function healthDuringExport(url: string): Promise<HealthDuringExport> {
  const latencies: number[] = [];
  let done = false;
  const started = Date.now();
  const exporting = (async () => {
    const res = await fetch(`${url}/api/v1/market-data/export`);
    let bytes = 0;
    for await (const chunk of res.body!) bytes += (chunk as Uint8Array).length;
    return bytes;
  })().finally(() => { done = true; });
  await new Promise((r) => setTimeout(r, 150)); // as in the issue: a probe sent after the export began
  const probes: Promise<void>[] = [];
  while (!done) {
    probes.push((async () => {
      const t = performance.now();
      const res = await fetch(`${url}/api/v1/health`);
      await res.arrayBuffer();
      latencies.push(performance.now() - t);
    })());
    await new Promise((r) => setTimeout(r, 100));
  }
  const bytes = await exporting;
  await Promise.all(probes);
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    export_ms: Date.now() - started, export_bytes: bytes, probes: latencies.length, max_ms: sorted.at(-1) ?? 0,
    p99_ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0, over_100ms: latencies.filter((l) => l > 100).length,
  };
}

export interface EmbeddedComparison {
  baseline: string;
  throughput: Record<string, { before: LoadResult; after: LoadResult; ratio: number }>;
  health_during_export: { before: HealthDuringExport; after: HealthDuringExport };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

/**
 * s1, s4, s6 against both services, `runs` times: each run alternates before and after in four
 * slices of seconds / 2 (see interleaved in run.ts); the health probe during an export last.
 */
export async function compareEmbedded(baselineRoot: string, connections: number, seconds: number, warmup: number, runs: number, log: (l: string) => void): Promise<EmbeddedComparison> {
  const sides: Side[] = [{ name: 'before', root: baselineRoot }, { name: 'after', root: ROOT }];
  const dirs: string[] = [];
  const services: Record<string, Child & { url: string }> = {};
  try {
    let dates = { firstDate: '', lastDate: '' };
    for (const side of sides) {
      const seeded = await seededPglite();
      dirs.push(seeded.dir);
      dates = seeded;
      services[side.name] = await startService({ DATA_DIR: seeded.dir, ETL_ENABLED: 'false', LOG_LEVEL: 'warn' }, side.root);
    }
    const target = (name: string, tag: string): Target => ({ url: services[name]!.url, ntickers: 100, firstDate: dates.firstDate, lastDate: dates.lastDate, maxId: 200_000, tag });
    const scenarios: [string, Scenario][] = [['s1', { kind: 's1' }], ['s4', { kind: 's4' }], ['s6', { kind: 's6' }]];
    for (const side of sides) if (warmup > 0) await load(target(side.name, 'w'), { kind: 's1' }, connections, 3 * warmup, 0);
    const slices: Record<string, Record<string, LoadResult[]>> = {};
    for (let run = 1; run <= runs; run++) {
      for (const [name, scenario] of scenarios) {
        for (let i = 0; i < 4; i++) {
          for (const side of i % 2 ? [...sides].reverse() : sides) {
            const r = await load(target(side.name, `E${run}${i}${side.name[0]}`), scenario, connections, seconds / 2, i === 0 ? warmup : 0);
            ((slices[name] ??= {})[side.name] ??= []).push(r);
          }
        }
        const last = (s: string) => slices[name]![s]!.slice(-4);
        log(`run ${run} embedded ${name}: before ${median(last('before').map((r) => r.rps)).toFixed(0)} req/s, after ${median(last('after').map((r) => r.rps)).toFixed(0)} req/s`);
      }
    }
    const combine = (rs: LoadResult[]): LoadResult => ({
      rps: median(rs.map((r) => r.rps)), p50_ms: median(rs.map((r) => r.p50_ms)), p99_ms: median(rs.map((r) => r.p99_ms)),
      errors: rs.reduce((n, r) => n + r.errors, 0), requests: rs.reduce((n, r) => n + r.requests, 0), non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
    });
    const throughput = Object.fromEntries(scenarios.map(([name]) => {
      const before = combine(slices[name]!.before!);
      const after = combine(slices[name]!.after!);
      return [name, { before, after, ratio: after.rps / before.rps }];
    }));
    const health: Partial<EmbeddedComparison['health_during_export']> = {};
    for (const side of sides) {
      health[side.name] = await healthDuringExport(services[side.name]!.url);
      const h = health[side.name]!;
      log(`embedded ${side.name}: export of ${(h.export_bytes / 2 ** 20).toFixed(1)} MB in ${h.export_ms} ms; health max ${h.max_ms.toFixed(0)} ms over ${h.probes} probes`);
    }
    return { baseline: BASELINE_REF, throughput, health_during_export: health as EmbeddedComparison['health_during_export'] };
  } finally {
    for (const s of Object.values(services)) await s.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}
