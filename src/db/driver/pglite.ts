// Embedded PostgreSQL (PGlite, PostgreSQL 18 in WebAssembly) persisted in a directory, run in a
// worker thread (pglite-worker.ts) and reached through `pg` over a private Unix socket — the same
// driver and code as a server (postgres.ts). The service's thread never runs a query itself, so
// an export or a load no longer stops it from answering everyone else.
//
// This side also does what PGlite cannot do for itself:
//   - statement timeouts: a statement in WebAssembly cannot be interrupted (PGlite ignores
//     statement_timeout), so a statement past its connection's timeout stops the worker, which is
//     started again on the same directory: every connection fails once, the database is free;
//   - a worker that dies otherwise is reported at once (onLost): the service then exits non-zero
//     rather than accept requests it cannot answer.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.ts';
import { lockDataDir } from './data-dir-lock.ts';
import type { Database } from './database.ts';
import { undoInterruptedLoads } from '../repositories/load-journal.ts';
import { SESSION_SETTINGS, STATE, socketFile, type WorkerData, type WorkerMessage } from './pglite-worker.ts';
import { openPostgres } from './postgres.ts';
import { registerEmbedded } from './profile.ts';

export { SESSION_SETTINGS };

export interface EmbeddedOptions {
  /** Per statement, in ms (0: none); outside clients may ask for less, not more. Default 30 s. */
  statementTimeoutMs?: number;
  /** Also accept PostgreSQL clients on 127.0.0.1:sqlPort (0: any free port). */
  sqlPort?: number;
  poolSize?: number;
  /** See IDLE_IN_TRANSACTION_MS. */
  idleInTransactionMs?: number;
  logger?: Logger;
  /** The worker died (not stopped by close or for a timeout). Default: log it; queries fail from then on. */
  onLost?: (err: Error) => void;
}

export interface EmbeddedDatabase extends Database {
  /** The worker running the database now (a new one after a statement timeout). */
  readonly worker: Worker;
  /** The port outside clients connect to, when sqlPort was given. */
  readonly sqlPort: number | undefined;
}

/** A transaction left idle this long holds everyone else up: its connection is cut (see wire-server.ts). */
export const IDLE_IN_TRANSACTION_MS = 5000;
const WORKER_START_MS = 60_000;
const STOP_MS = 10_000;

// Run from TypeScript sources (tsx) or from a build: the worker is started from the same kind of file.
const fromSource = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./pglite-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);

function newWorker(workerData: WorkerData): Worker {
  if (!fromSource) return new Worker(WORKER_URL, { workerData });
  // Node 20's workers do not take the process's --import hooks along: tsx is registered in the worker first.
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

/**
 * Opens (creating if needed) the database under `dataDir`, or an in-memory one when `dataDir`
 * is undefined (tests). A directory is locked against a second process first.
 */
export async function openPglite(dataDir: string | undefined, options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const release = dataDir ? lockDataDir(dataDir) : () => {};
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-pglite-')); // mode 0700: this user only
  const state = new SharedArrayBuffer(3 * 8);
  const slots = new BigInt64Array(state);
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  const log = options.logger;
  let worker: Worker;
  let exited = false; // the current worker
  let sqlPort = options.sqlPort;
  let stopping = false;
  let restarting: Promise<void> | undefined;

  const data = (): WorkerData => ({
    dataDir: dataDir ? path.join(dataDir, 'pglite') : undefined, socketPath: socketFile(socketDir),
    sqlPort, statementTimeoutMs, idleInTransactionMs: options.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS, state,
  });

  const lost = (err: Error) => {
    if (options.onLost) options.onLost(err);
    else log?.error({ err: err.message }, 'the embedded database worker died');
  };

  /** Starts a worker and waits until it listens. */
  const start = () => new Promise<void>((resolve, reject) => {
    const w = newWorker(data());
    worker = w;
    exited = false;
    let started = false;
    let failure: Error | undefined;
    const timer = setTimeout(() => { void w.terminate(); reject(new Error(`the embedded database did not start within ${WORKER_START_MS / 1000} s`)); }, WORKER_START_MS);
    w.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'ready') {
        started = true;
        sqlPort = msg.sqlPort; // the same port again after a restart
        clearTimeout(timer);
        resolve();
      } else if (msg.type === 'failed') {
        failure = Object.assign(new Error(msg.message), { code: msg.code });
      }
    });
    w.on('error', (err) => { failure ??= err; });
    w.once('exit', (code) => {
      if (worker === w) exited = true;
      clearTimeout(timer);
      if (!started) {
        reject(failure ?? new Error(`the embedded database worker exited with code ${code} while starting`));
      } else if (!stopping && worker === w && !restarting) {
        lost(failure ?? new Error(`the embedded database worker exited with code ${code}`));
      }
    });
  });

  try {
    await start();
  } catch (err) {
    fs.rmSync(socketDir, { recursive: true, force: true });
    release();
    throw err;
  }

  // The worker answers a new connection only between statements: connecting may take as long as
  // the statement running then (a 2 s limit, right for a server that may be down, failed a start-up
  // on a busy host: "Connection terminated due to connection timeout").
  const connectTimeoutMs = statementTimeoutMs > 0 ? statementTimeoutMs + 5000 : 60_000;
  const db = await openPostgres({
    socketDir, kind: 'pglite', poolSize: options.poolSize ?? 10, statementTimeoutMs, connectTimeoutMs, logger: log, applicationName: 'market-data',
  });

  // A process killed in the middle of a stepped load (profile.ts: newTickerSteps) left part of a
  // ticker: nobody reads the database before it is undone.
  try {
    const undone = await undoInterruptedLoads(db);
    if (undone > 0) log?.warn({ rows: undone }, 'undid the loads an earlier process left unfinished');
  } catch (err) {
    await db.close().catch(() => {});
    await worker!.terminate();
    fs.rmSync(socketDir, { recursive: true, force: true });
    release();
    throw err;
  }

  // A statement past its deadline: the worker is blocked in it and cannot be asked to stop it.
  const watchdog = setInterval(() => {
    const deadline = Number(Atomics.load(slots, STATE.unitDeadline));
    if (!deadline || Date.now() <= deadline || restarting || stopping) return;
    const ran = Date.now() - Number(Atomics.load(slots, STATE.unitStarted));
    log?.warn({ ran_ms: ran }, 'an embedded database statement ran past its statement timeout; restarting the database worker');
    Atomics.store(slots, STATE.unitDeadline, 0n);
    restarting = worker.terminate().then(() => start()).then(
      () => log?.info('embedded database worker restarted'),
      (err: Error) => lost(err),
    ).finally(() => { restarting = undefined; });
  }, Math.min(1000, Math.max(20, Math.floor(statementTimeoutMs / 10))));
  watchdog.unref();

  let closed: Promise<void> | undefined;
  const embedded: EmbeddedDatabase = {
    ...db,
    get worker() { return worker; },
    get sqlPort() { return sqlPort; },
    close: () => closed ??= (async () => {
      stopping = true;
      clearInterval(watchdog);
      try {
        await db.close();
        await restarting;
        const w = worker;
        if (exited) return;
        const done = new Promise<void>((resolve) => {
          w.on('message', (msg: WorkerMessage) => { if (msg.type === 'closed') resolve(); });
          w.once('exit', () => resolve());
        });
        w.postMessage({ type: 'close' });
        const timer = setTimeout(() => void w.terminate(), STOP_MS);
        await done;
        clearTimeout(timer);
        await w.terminate();
      } finally {
        fs.rmSync(socketDir, { recursive: true, force: true });
        release();
      }
    })(),
  };
  registerEmbedded(embedded, { othersActiveAt: () => Number(Atomics.load(slots, STATE.othersActive)) });
  return embedded;
}
