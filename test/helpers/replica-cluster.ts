// A private primary with streaming replicas on loopback (initdb, then `pg_basebackup -R` per
// replica), for tests that stop, kill, pause and restart servers under a running service
// without disturbing anything else. As private-postgres.ts, run as the postgres user under root.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort, PRIVATE_POSTGRES_AVAILABLE, serverWorkspace } from './private-postgres.ts';

export { PRIVATE_POSTGRES_AVAILABLE };

export interface ClusterNode {
  url: string;
  port: number;
  /** `settings`: more `-c name=value` server settings for this start. */
  start(settings?: Record<string, string>): void;
  /** `fast` closes sessions cleanly; `immediate` is a crash (no shutdown checkpoint). */
  stop(mode?: 'fast' | 'immediate'): void;
  /** Runs one statement on this server (its own connection). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export interface ReplicaCluster {
  primary: ClusterNode;
  replicas: ClusterNode[];
  /** Resolves once every replica has replayed the primary's current position. */
  caughtUp(timeoutMs?: number): Promise<void>;
  destroy(): void;
}

export async function createReplicaCluster(replicaCount = 2): Promise<ReplicaCluster> {
  const { dir, run } = serverWorkspace('md-replicas-');

  const node = (name: string, port: number): ClusterNode => {
    const data = path.join(dir, name);
    // Sessions on a replica are not cancelled for conflicting replay while a test reads.
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60 -c hot_standby_feedback=on`;
    const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    return {
      url, port,
      start: (settings = {}) => {
        const more = Object.entries(settings).map(([k, v]) => ` -c ${k}=${v}`).join('');
        run('pg_ctl', ['-D', data, '-o', options + more, '-l', path.join(dir, `${name}.log`), '-w', 'start']);
      },
      stop: (mode = 'fast') => { run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']); },
      async sql<T>(text: string, params: unknown[] = []) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          return (await client.query(text, params)).rows as T[];
        } finally {
          await client.end();
        }
      },
    };
  };

  const primary = node('primary', await freePort());
  run('initdb', ['-D', path.join(dir, 'primary'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
  primary.start();
  const replicas: ClusterNode[] = [];
  for (let i = 1; i <= replicaCount; i++) {
    const replica = node(`replica${i}`, await freePort());
    run('pg_basebackup', ['-D', path.join(dir, `replica${i}`), '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
    replica.start();
    replicas.push(replica);
  }

  const cluster: ReplicaCluster = {
    primary, replicas,
    async caughtUp(timeoutMs = 10_000) {
      const lsn = (await primary.sql<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn'))[0]!.lsn;
      const deadline = Date.now() + timeoutMs;
      for (const replica of replicas) {
        for (;;) {
          const rows = await replica.sql<{ ok: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]);
          if (rows[0]!.ok) break;
          if (Date.now() > deadline) throw new Error(`replica on ${replica.port} did not replay ${lsn} in ${timeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    },
    destroy() {
      for (const n of [...replicas, primary]) {
        try { n.stop('immediate'); } catch { /* already stopped */ }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
