// The embedded database's thread: PGlite and the wire-protocol server in front of it (see
// wire-server.ts). Everything PostgreSQL does — parsing, planning, running, writing pages — runs
// here, so the service's thread only sends queries and reads answers, as it does with a server.
// pglite.ts starts this worker, watches it and stops it.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface WorkerData {
  /** The database directory; undefined: in memory (tests). */
  dataDir: string | undefined;
  /** Unix socket the service's own connections use (in a private directory). */
  socketPath: string;
  /** 127.0.0.1 port for outside clients (EMBEDDED_SQL_PORT); undefined: none. */
  sqlPort: number | undefined;
  statementTimeoutMs: number;
  idleInTransactionMs: number;
  /** Shared with pglite.ts: see STATE. */
  state: SharedArrayBuffer;
}

/** Slots of the shared state (ms since the epoch, 0: none). */
export const STATE = { unitStarted: 0, unitDeadline: 1, othersActive: 2 } as const;

export type WorkerMessage = { type: 'ready'; sqlPort: number | undefined } | { type: 'failed'; message: string; code?: string } | { type: 'closed' };

/** The text forms record-json.ts and the type parsers rely on, whoever connects. */
export const SESSION_SETTINGS = `SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'`;

const listen = (server: net.Server, ...args: unknown[]) => new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(...(args as [string]), () => {
    server.removeListener('error', reject);
    resolve();
  });
});

async function main(data: WorkerData): Promise<void> {
  // Imported here: pglite.ts imports this module's constants on the service's thread.
  const [{ PGlite }, { WireServer }] = await Promise.all([import('@electric-sql/pglite'), import('./wire-server.ts')]);
  const state = new BigInt64Array(data.state);
  const pglite = new PGlite({ dataDir: data.dataDir });
  await pglite.waitReady;
  await pglite.exec(SESSION_SETTINGS);
  const wire = new WireServer({
    pglite,
    defaultStatementTimeoutMs: data.statementTimeoutMs,
    idleInTransactionMs: data.idleInTransactionMs,
    sessionSettings: SESSION_SETTINGS,
    onUnit: (started, deadline) => {
      Atomics.store(state, STATE.unitStarted, BigInt(started));
      Atomics.store(state, STATE.unitDeadline, BigInt(deadline));
    },
    onOthers: () => Atomics.store(state, STATE.othersActive, BigInt(Date.now())),
  });
  await wire.init();
  const own = net.createServer();
  wire.attach(own, false);
  fs.rmSync(data.socketPath, { force: true }); // left by a worker stopped for a statement timeout
  await listen(own, data.socketPath);
  let sqlPort: number | undefined;
  if (data.sqlPort !== undefined) {
    const outside = net.createServer();
    wire.attach(outside, true);
    await listen(outside, data.sqlPort, '127.0.0.1');
    sqlPort = (outside.address() as net.AddressInfo).port;
  }
  parentPort!.on('message', (msg: { type: string }) => {
    if (msg.type !== 'close') return;
    // A clean stop: PGlite checkpoints, so the next start has no recovery to do.
    void wire.close().then(() => pglite.close()).finally(() => parentPort!.postMessage({ type: 'closed' } satisfies WorkerMessage));
  });
  parentPort!.postMessage({ type: 'ready', sqlPort } satisfies WorkerMessage);
}

export const socketFile = (dir: string) => path.join(dir, '.s.PGSQL.5432');

if (!isMainThread) {
  main(workerData as WorkerData).catch((err: Error & { code?: string }) => {
    parentPort!.postMessage({ type: 'failed', message: err.message, code: err.code } satisfies WorkerMessage);
    parentPort!.close();
  });
}
