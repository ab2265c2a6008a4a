// WORKERS > 1: this primary process forks that many service processes sharing HOST:PORT
// (node:cluster) against a PostgreSQL server. It opens no database itself. One worker — and its
// replacement if it dies — runs the ETL scheduler. A worker that dies after starting is replaced;
// one that dies before listening stops the service (a bad port or database would only loop).
import cluster, { type Worker } from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import { openWritesWarning, type Config } from './config.ts';
import type { Logger } from './logger.ts';
import { answerWorkersMetrics } from './metrics.ts';

const ROLE = 'MARKET_DATA_WORKER_ROLE';

export function workerRole(): { schedule: boolean } {
  return { schedule: process.env[ROLE] === 'scheduler' };
}

export function runPrimary(config: Config, logger: Logger): void {
  let stopping = false;
  let restarts = 0;
  const listening = new WeakSet<Worker>();

  const fork = (role: 'scheduler' | 'http'): void => {
    const worker = cluster.fork({ [ROLE]: role });
    worker.once('listening', () => {
      listening.add(worker);
      if (Object.values(cluster.workers ?? {}).every((w) => w && listening.has(w))) {
        logger.info({ workers: config.workers, port: config.port, docs: `http://${config.host}:${config.port}/docs` }, 'market data service started');
      }
    });
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      if (!listening.has(worker)) {
        logger.fatal({ worker_pid: worker.process.pid, code, signal }, 'a worker failed to start; stopping');
        void stop('worker failed', 1);
        return;
      }
      restarts++;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(restarts, 6));
      logger.error({ worker_pid: worker.process.pid, code, signal, restart_in_ms: delay }, 'a worker died; replacing it');
      void sleep(delay).then(() => { if (!stopping) fork(role); });
    });
  };

  async function stop(reason: string, exitCode = 0): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exits = workers.map((w) => new Promise<number>((resolve) => {
      if (w.isDead()) resolve(w.process.exitCode ?? 1);
      else w.once('exit', (code) => resolve(code ?? 1));
    }));
    for (const w of workers) w.process.kill('SIGTERM');
    const killer = setTimeout(() => { for (const w of workers) w.process.kill('SIGKILL'); }, 12_000);
    const codes = await Promise.all(exits);
    clearTimeout(killer);
    logger.info('stopped');
    logger.flush();
    process.exitCode = exitCode || (codes.every((c) => c === 0) ? 0 : 1);
  }

  const warning = openWritesWarning(config);
  if (warning) logger.warn(warning);
  answerWorkersMetrics();
  for (let i = 0; i < config.workers; i++) fork(i === 0 ? 'scheduler' : 'http');
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
