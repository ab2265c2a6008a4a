// A throwaway PostgreSQL server of our own (initdb into a temp dir, on a free port), for tests
// that stop and start the server under a running service without disturbing anything else.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

function binDir(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

export const PRIVATE_POSTGRES_AVAILABLE = binDir() !== undefined;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface PrivatePostgres {
  url: string;
  port: number;
  start(): void;
  stop(): void;
  destroy(): void;
}

/**
 * A temporary folder for private servers, and a runner of the server binaries (initdb, pg_ctl…).
 * initdb refuses to run as root: under root both run as the postgres user, who owns the folder.
 */
export function serverWorkspace(tmpPrefix: string): { dir: string; run(cmd: string, args: string[]): Buffer } {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found (set PG_BIN)');
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { stdio: 'pipe' })
      : execFileSync(path.join(bin, cmd), args, { stdio: 'pipe' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  return { dir, run };
}

export async function createPrivatePostgres(): Promise<PrivatePostgres> {
  const { dir, run } = serverWorkspace('md-pg-');
  const data = path.join(dir, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`;
  const pg: PrivatePostgres = {
    url: `postgresql://postgres:not-a-real-password@127.0.0.1:${port}/postgres`,
    port,
    start: () => { run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start']); },
    stop: () => { run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']); },
    destroy: () => {
      try { pg.stop(); } catch { /* already stopped */ }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  pg.start();
  return pg;
}
