// Child processes of the benchmark: the service itself (as `npm start` runs it), the ETL CLI and
// the fake Alpha Vantage, each in its own process so their CPU and memory are their own — and in
// its own session, as a deployed service is. Linux's autogroup scheduler (on by default) shares
// the CPU between sessions first: a service in the load generator's session had wrk's share
// taken out of its own, and PostgreSQL's backends, in theirs, queued behind both, so s1's p99
// grew many times over and varied from run to run with the same code.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../test/helpers/private-postgres.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export { freePort };

export interface Child { proc: ChildProcess; output(): string; stop(): Promise<number | null> }

/** Children still running, stopped if the benchmark itself ends early (they are not in its session). */
const live = new Set<ChildProcess>();
// The whole process group: the service's cluster workers with it.
const killLive = () => { for (const proc of live) { try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone */ } } };
process.once('exit', killLive);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { killLive(); process.exit(130); });

export function node(script: string, args: string[], env: Record<string, string>, cwd = ROOT): Child {
  const proc = spawn(process.execPath, [...(script.endsWith('.js') ? [] : ['--import', 'tsx']), script, ...args], {
    cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => { out = (out + d).slice(-200_000); });
  proc.stderr!.on('data', (d) => { out = (out + d).slice(-200_000); });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => { live.delete(proc); resolve(code); }));
  return {
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the service (from another checkout when `root` is given) and waits for health 200. */
export async function startService(env: Record<string, string>, root = ROOT): Promise<Child & { url: string }> {
  const port = await freePort();
  const child = node('src/main.ts', [], { ...env, PORT: String(port) }, root);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/api/v1/health`)).status === 200) break;
    } catch { /* not up yet */ }
    if (child.proc.exitCode !== null || Date.now() > deadline) throw new Error(`service did not start:\n${child.output()}`);
    await sleep(200);
  }
  return { ...child, url };
}

/** The fake Alpha Vantage (scripts/fake-alpha-vantage.ts), premium: every symbol gets `days` bars, whole. */
export async function startFake(days: number, key: string): Promise<Child & { url: string }> {
  const child = node('scripts/fake-alpha-vantage.ts', ['--days', String(days), '--key', key, '--tier', 'premium'], {});
  const deadline = Date.now() + 30_000;
  while (!/^http:\/\/\S+\/query$/m.test(child.output())) {
    if (child.proc.exitCode !== null || Date.now() > deadline) throw new Error(`fake Alpha Vantage did not start:\n${child.output()}`);
    await sleep(50);
  }
  return { ...child, url: /^(http:\/\/\S+\/query)$/m.exec(child.output())![1]! };
}

let built = false;

/**
 * Runs a command of the compiled CLI (`dist/cli/…`, built from this checkout once per bench, as
 * it ships: tsx's transformer would count in its memory) to its end: exit code, seconds taken,
 * peak resident memory sampled every 100 ms.
 */
export async function runCli(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; seconds: number; peakMb: number; output: string }> {
  if (!built) execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: ROOT, stdio: 'ignore' });
  built = true;
  const started = process.hrtime.bigint();
  const cli = node(script, args, env);
  let peak = 0;
  const poll = setInterval(() => {
    try { peak = Math.max(peak, peakRssMb(cli.proc.pid!)); } catch { /* exited */ }
  }, 100);
  const code = await new Promise<number | null>((resolve) => cli.proc.once('exit', (c) => resolve(c)));
  clearInterval(poll);
  return { code, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakMb: peak, output: cli.output() };
}

/** Peak resident memory of a live process (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  // An exited process not yet reaped (a zombie) has no memory lines.
  if (!kb) throw new Error(`process ${pid} has exited`);
  return Number(kb) / 1024;
}
