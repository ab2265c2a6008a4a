// The service as users run it: a child process, from the sources (`npm start` runs their build,
// dist/, which CI's smoke test starts: scripts/smoke-dist.ts).
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { freePort } from './private-postgres.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** `market-data …` from the sources: what dist/cli/market-data.js runs once built. */
export const MARKET_DATA = [process.execPath, '--import', 'tsx', 'src/cli/market-data.ts'] as const;
/** The service's entry point from the sources (`npm run dev`): what dist/main.js runs once built. */
const MAIN = [process.execPath, '--import', 'tsx', 'src/main.ts'] as const;

export interface RunningService {
  proc: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function health(url: string, timeoutMs = 5000): Promise<number> {
  try {
    const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Starts the service with `env` over a clean environment and waits until it answers health 200. */
export async function startService(env: Record<string, string>, options: { waitHealthy?: boolean } = {}): Promise<RunningService> {
  const port = env.PORT ?? String(await freePort());
  const [command, ...args] = MARKET_DATA;
  const proc = spawn(command, [...args, 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', ETL_ENABLED: 'false', ...env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const service: RunningService = {
    proc, url, exited,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  if (options.waitHealthy !== false) {
    const deadline = Date.now() + 60_000; // a fresh embedded database (initdb in its worker) on a busy 2-core host
    while ((await health(url, 1000)) !== 200) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        await service.stop('SIGKILL');
        throw new Error(`service did not become healthy:\n${out}`);
      }
      await sleep(200);
    }
  }
  return service;
}

/**
 * Starts the service with `env` (over PATH and HOME only) and waits for it to exit: for starts
 * that must be refused. `entry` is `market-data serve` (the default) or src/main.ts.
 */
export function runServiceToExit(env: Record<string, string>, options: { entry?: 'serve' | 'main'; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const [command, ...args] = options.entry === 'main' ? MAIN : [...MARKET_DATA, 'serve'];
  return spawnSync(command, args, {
    cwd: ROOT, encoding: 'utf8', timeout: options.timeoutMs,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
}
