// HTTP load for one scenario: wrk when installed (C, light on the CPU the service needs), else
// autocannon. Closed loop, keep-alive connections, a warm-up thrown away before the measured run.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';

export interface LoadResult { rps: number; p50_ms: number; p99_ms: number; errors: number; requests: number; non2xx: number }

export interface Target {
  url: string;
  ntickers: number;
  firstDate: string;
  lastDate: string;
  maxId: number;
  tag: string;
}

/** `s1` (and `s1t`: adjusted for splits and dividends), `s4`, `s6` vary per request; any other scenario is a fixed path. */
export type Scenario = { kind: 's1' | 's1t' | 's4' | 's6' } | { kind: 'static'; path: string };

const LUA = path.resolve(import.meta.dirname, '../scenarios.lua');
export const HAVE_WRK = spawnSync('wrk', ['--version']).error === undefined;

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

async function withWrk(t: Target, s: Scenario, connections: number, seconds: number): Promise<LoadResult> {
  const args = ['-t', String(Math.min(2, connections)), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '30s', '-s', LUA, t.url,
    '--', s.kind, String(t.ntickers), t.firstDate, t.lastDate, String(t.maxId), t.tag, s.kind === 'static' ? s.path : ''];
  const out = await run('wrk', args);
  const line = out.split('\n').find((l) => l.startsWith('{"rps"'));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  return JSON.parse(line) as LoadResult;
}

/** The same request mix as scenarios.lua, for machines without wrk. */
function makePath(t: Target, s: Scenario, counter: { n: number }): () => { method: string; path: string; body?: string } {
  const first = Date.parse(`${t.firstDate}T12:00:00Z`);
  const span = Math.round((Date.parse(`${t.lastDate}T12:00:00Z`) - first) / 86_400_000);
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
  return () => {
    if (s.kind === 'static') return { method: 'GET', path: s.path };
    if (s.kind === 's4') return { method: 'GET', path: `/api/v1/market-data/${rand(1, t.maxId)}` };
    if (s.kind === 's1' || s.kind === 's1t') {
      const start = first + rand(0, Math.max(0, span - 364)) * 86_400_000;
      const ticker = `T${String(rand(1, t.ntickers)).padStart(4, '0')}`;
      const adjusted = s.kind === 's1t' ? '&adjustment=total' : '';
      return { method: 'GET', path: `/api/v1/market-data?ticker=${ticker}&start_date=${iso(start)}&end_date=${iso(start + 364 * 86_400_000)}&page=1&size=50${adjusted}` };
    }
    const n = ++counter.n;
    const body = JSON.stringify({ ticker: `ZZB${t.tag}0${Math.floor(n / 15000)}`, date: iso(Date.parse('1950-01-02T12:00:00Z') + (n % 15000) * 86_400_000), open: 100.25, high: 101.5, low: 99.75, close: 100.5, volume: 123456 });
    return { method: 'POST', path: '/api/v1/market-data', body };
  };
}

async function withAutocannon(t: Target, s: Scenario, connections: number, seconds: number): Promise<LoadResult> {
  const next = makePath(t, s, { n: 0 });
  const result = await autocannon({
    url: t.url, connections, duration: seconds, headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, ...next() }) }],
  } as autocannon.Options);
  return {
    rps: result.requests.total / (result.duration || seconds), p50_ms: result.latency.p50, p99_ms: result.latency.p99,
    errors: result.errors + result.timeouts, requests: result.requests.total, non2xx: result.non2xx,
  };
}

export async function load(t: Target, s: Scenario, connections: number, seconds: number, warmupSeconds: number): Promise<LoadResult> {
  const go = HAVE_WRK ? withWrk : withAutocannon;
  // The warm-up writes rows of its own (s6): another tag, or the measured run would repeat them.
  if (warmupSeconds > 0) await go({ ...t, tag: `${t.tag}w` }, s, connections, warmupSeconds);
  return go(t, s, connections, seconds);
}
