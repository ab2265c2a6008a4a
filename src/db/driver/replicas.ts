// Reads on PostgreSQL streaming replicas (DATABASE_READ_URLS): a pool per replica, a health
// check per replica, and a read view of the database that sends each read statement to a replica
// in rotation and everything else (transactions, sessions and their locks, scripts) to the
// primary. Routes choose it for their reads with readsOf(db) (index.ts).
//
// A replica is in rotation while its check answers, it is still a standby, and it is no further
// behind the primary than maxLagMs; it returns by itself when it recovers. A read that fails on a
// replica for a reason another server may not share (connection lost, server stopping, a
// statement cancelled by "conflict with recovery") runs again on another replica, then on the
// primary: reads are single statements, so an export's next keyset batch simply resumes there.
//
// Read-your-writes: a read carrying a write's WAL position (read-context.ts) goes to a replica
// that has replayed it, waits up to waitMs for one to, and otherwise reads the primary.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logger.ts';
import { Batcher } from './batcher.ts';
import { withTimeout, type Database, type QueryOptions, type QueryResult, type ReplicaState, type ReplicaStatus } from './database.ts';
import { toDatabaseError, type DatabaseErrorKind } from './errors.ts';
import { lsnAtLeast, lsnBytesBehind, maxLsn, parseLsn } from './lsn.ts';
import { openPostgres } from './postgres.ts';
import { readContext } from './read-context.ts';

interface ReplicaOptions {
  urls: string[];
  maxLagMs: number;
  waitMs: number;
  poolSize: number;
  statementTimeoutMs?: number;
  logger?: Logger;
  /** Time between health checks; by default a fifth of maxLagMs, within 100 ms – 1 s. */
  checkIntervalMs?: number;
}

/** The primary's WAL position at a moment: a replica that has not replayed it is that old. */
interface Sample { lsn: string; at: number }

/**
 * How far behind the primary a replica is, in ms: the age of the oldest primary position it has
 * not replayed yet (0 when it has replayed the newest). Sampled positions bound it from below,
 * so a replica caught up with an idle primary is never reported as lagging.
 */
export function lagMsOf(samples: readonly Sample[], replayLsn: string, now: number): number {
  const behind = samples.find((s) => !lsnAtLeast(replayLsn, s.lsn));
  return behind ? Math.max(0, now - behind.at) : 0;
}

type ReadFailure = 'down' | 'elsewhere' | 'primary' | 'fatal';

const DOWN = new Set<DatabaseErrorKind>(['unavailable', 'auth', 'missing_database']);
// A recovery conflict, a deadlock, a lock wait given up; and connect_timeout, which pg reports both
// when the server does not answer and when every pooled connection stayed busy: read elsewhere,
// and leave judging the replica to its health check.
const ELSEWHERE = new Set<DatabaseErrorKind>(['serialization', 'deadlock', 'database_dropped', 'lock_unavailable', 'connect_timeout']);

/**
 * What a failed read on a replica means: the replica is down (take it out, read elsewhere), the
 * statement alone failed there (recovery conflict, deadlock: read elsewhere), it needs the
 * primary (a write sent as a read), or the statement is wrong anywhere (fatal: the caller's).
 */
export function classifyReadFailure(err: unknown): ReadFailure {
  const { kind } = toDatabaseError(err);
  if (kind === 'read_only') return 'primary';
  if (ELSEWHERE.has(kind)) return 'elsewhere';
  if (DOWN.has(kind)) return 'down';
  return 'fatal';
}

const STATUS_SQL = `SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay_lsn,
  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS paused`;
const REPLAY_SQL = 'SELECT pg_last_wal_replay_lsn()::text AS lsn';
const CHECK_TIMEOUT_MS = 2000;
const POLL_MS = 2;

interface Waiter { lsn: string; resolve: (ok: boolean) => void; timer: NodeJS.Timeout }

class Replica {
  state: ReplicaState = 'starting';
  replayLsn: string | undefined;
  lagMs: number | null = null;
  lagBytes: number | null = null;
  paused: boolean | null = null;
  error: string | undefined;
  checkedAt: number | undefined;
  reads = 0;
  failures = 0;
  waiters: Waiter[] = [];
  polling = false;

  constructor(readonly name: string, readonly address: string, readonly db: Database) {}

  busy(): number {
    const s = this.db.poolStats?.();
    return s ? s.total - s.idle + s.waiting : 0;
  }

  sawReplay(lsn: string | null | undefined): void {
    if (lsn && parseLsn(lsn) !== undefined) this.replayLsn = maxLsn(this.replayLsn, lsn);
  }
}

export interface ReplicaSet {
  /** The read view: read statements on replicas, everything else on the primary. */
  reads: Database;
  statuses(): ReplicaStatus[];
  /** Reads the primary answered (no replica in rotation, not replayed in time, or failed over). */
  primaryReads(): number;
  /** The primary's WAL position now: a read that must see what was written so far waits for it. */
  writeLsn(): Promise<string>;
  /** One round of health checks now (also run every check interval). */
  check(): Promise<void>;
  close(): Promise<void>;
}

export async function openReplicas(primary: Database, options: ReplicaOptions): Promise<ReplicaSet> {
  const { logger, maxLagMs, waitMs } = options;
  const replicas = await Promise.all(options.urls.map(async (url, i) => {
    const db = await openPostgres({
      url, poolSize: options.poolSize, statementTimeoutMs: options.statementTimeoutMs, logger,
      connectTimeoutMs: 1000, applicationName: 'market-data-reads', retry: false,
    });
    const u = new URL(url);
    return new Replica(`replica-${i + 1}`, `${u.hostname}:${u.port || 5432}`, db);
  }));
  const samples: Sample[] = [];
  let onPrimary = 0;
  let turn = 0;

  const inRotation = (except: ReadonlySet<Replica>) => replicas.filter((r) => r.state === 'up' && !except.has(r));

  /** The least busy of the given replicas, taking turns among equals. */
  const leastBusy = (list: Replica[]): Replica => {
    const start = turn++ % list.length;
    let best = list[start]!;
    let load = best.busy();
    for (let i = 1; i < list.length; i++) {
      const r = list[(start + i) % list.length]!;
      const l = r.busy();
      if (l < load) { best = r; load = l; }
    }
    return best;
  };

  const poll = async (replica: Replica): Promise<void> => {
    if (replica.polling) return;
    replica.polling = true;
    try {
      while (replica.waiters.length && replica.state === 'up') {
        const { rows } = await replica.db.query<{ lsn: string | null }>(REPLAY_SQL, [], { name: 'replica_replay_lsn' });
        replica.sawReplay(rows[0]?.lsn);
        const at = replica.replayLsn;
        replica.waiters = replica.waiters.filter((w) => {
          if (!at || !lsnAtLeast(at, w.lsn)) return true;
          clearTimeout(w.timer);
          w.resolve(true);
          return false;
        });
        if (replica.waiters.length) await sleep(POLL_MS);
      }
    } catch {
      // The health check judges the replica; these readers go to the primary.
    } finally {
      replica.polling = false;
      for (const w of replica.waiters.splice(0)) { clearTimeout(w.timer); w.resolve(false); }
    }
  };

  /** Whether the replica replays `lsn` within waitMs. */
  const replays = (replica: Replica, lsn: string): Promise<boolean> => {
    if (replica.replayLsn && lsnAtLeast(replica.replayLsn, lsn)) return Promise.resolve(true);
    if (waitMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        lsn, resolve,
        timer: setTimeout(() => {
          replica.waiters = replica.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, waitMs),
      };
      replica.waiters.push(waiter);
      void poll(replica);
    });
  };

  /** A replica in rotation (and, for a read after a write, one that has replayed it); undefined: the primary. */
  const pick = async (minLsn: string | undefined, tried: ReadonlySet<Replica>): Promise<Replica | undefined> => {
    const candidates = inRotation(tried);
    if (!candidates.length) return undefined;
    if (!minLsn) return leastBusy(candidates);
    const ready = candidates.filter((r) => r.replayLsn && lsnAtLeast(r.replayLsn, minLsn));
    if (ready.length) return leastBusy(ready);
    // The furthest one is the likeliest to get there first.
    const furthest = candidates.reduce((a, b) => (!a.replayLsn || (b.replayLsn && !lsnAtLeast(a.replayLsn, b.replayLsn)) ? b : a));
    return (await replays(furthest, minLsn)) ? furthest : undefined;
  };

  const takeOut = (replica: Replica, state: ReplicaState, error: string | undefined): void => {
    if (replica.state !== state) logger?.warn({ replica: replica.name, address: replica.address, state, error }, 'replica out of rotation');
    replica.state = state;
    replica.error = error;
    // A server that restarts replays again from its last restart point: what it had replayed
    // before is not visible until it gets there again, so its position is read afresh.
    if (state === 'down') replica.replayLsn = undefined;
  };

  async function route<T>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>> {
    const minLsn = readContext.getStore()?.minLsn;
    const tried = new Set<Replica>();
    for (let replica = await pick(minLsn, tried); replica; replica = await pick(minLsn, tried)) {
      tried.add(replica);
      try {
        const result = await replica.db.query<T>(text, params, options);
        replica.reads++;
        return result;
      } catch (err) {
        const failure = classifyReadFailure(err);
        if (failure === 'fatal') throw err;
        replica.failures++;
        if (failure === 'down') takeOut(replica, 'down', (err as Error).message);
        logger?.warn({ replica: replica.name, code: (err as { code?: string }).code, error: (err as Error).message },
          'read failed on a replica; reading it again elsewhere');
        if (failure === 'primary') break;
      }
    }
    onPrimary++;
    return primary.query<T>(text, params, options);
  }

  const checkReplica = async (replica: Replica): Promise<void> => {
    try {
      const { rows } = await withTimeout(
        replica.db.query<{ standby: boolean; replay_lsn: string | null; paused: boolean | null }>(STATUS_SQL),
        CHECK_TIMEOUT_MS, replica.name);
      const row = rows[0]!;
      const now = Date.now();
      replica.checkedAt = now;
      replica.paused = row.paused;
      replica.sawReplay(row.replay_lsn);
      if (!row.standby || !replica.replayLsn) {
        takeOut(replica, 'not_standby', 'not in recovery: promoted, or not a replica of the primary');
        return;
      }
      const newest = samples.at(-1);
      replica.lagBytes = newest ? lsnBytesBehind(newest.lsn, replica.replayLsn) : null;
      replica.lagMs = lagMsOf(samples, replica.replayLsn, now);
      if (replica.lagMs > maxLagMs) {
        takeOut(replica, 'lagging', `replay ${replica.lagMs} ms behind the primary (limit ${maxLagMs} ms)`);
        return;
      }
      if (replica.state !== 'up') logger?.info({ replica: replica.name, address: replica.address, lag_ms: replica.lagMs }, 'replica in rotation');
      replica.state = 'up';
      replica.error = undefined;
    } catch (err) {
      replica.checkedAt = Date.now();
      replica.lagMs = null;
      replica.lagBytes = null;
      takeOut(replica, 'down', (err as Error).message);
    }
  };

  let checking: Promise<void> | undefined;
  const check = (): Promise<void> => {
    checking ??= (async () => {
      // The primary's position first: a replica that has replayed it is current as of now.
      try {
        const { rows } = await withTimeout(primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'), CHECK_TIMEOUT_MS, 'primary');
        const now = Date.now();
        if (!samples.length || samples.at(-1)!.lsn !== rows[0]!.lsn) samples.push({ lsn: rows[0]!.lsn, at: now });
        // Older positions only matter to say a replica is further behind than the limit, which
        // the oldest kept one already shows.
        const keepFrom = now - 2 * maxLagMs - 10_000;
        while (samples.length > 1 && samples[0]!.at < keepFrom && samples[1]!.at < keepFrom) samples.shift();
      } catch {
        // The primary does not answer: replicas are judged against its last known positions.
      }
      await Promise.all(replicas.map(checkReplica));
    })().finally(() => { checking = undefined; });
    return checking;
  };

  const interval = options.checkIntervalMs ?? Math.min(1000, Math.max(100, Math.floor(maxLagMs / 5)));
  await check();
  const timer = setInterval(() => { void check(); }, interval);
  timer.unref();

  // After a write, the position to wait for: one statement serves every write that finished
  // before it was sent (batcher.ts). The insert position, not the write one: with
  // synchronous_commit off a commit record may not be written yet, but it is inserted.
  const lsnBatcher = new Batcher<null, string>(async (keys) => {
    const { rows } = await primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn', [], { name: 'primary_insert_lsn' });
    return keys.map(() => rows[0]!.lsn);
  }, { maxInFlight: 1, maxBatch: 1000 });

  const reads: Database = {
    kind: primary.kind,
    query: route,
    exec: (script) => primary.exec(script),
    transaction: (fn) => primary.transaction(fn),
    withSession: (fn) => primary.withSession(fn),
    ping: (timeoutMs) => primary.ping(timeoutMs),
    close: async () => {}, // the primary's close closes the replicas (index.ts)
    poolStats: primary.poolStats?.bind(primary),
  };

  return {
    reads,
    statuses: () => replicas.map((r) => ({
      name: r.name, state: r.state, lagMs: r.lagMs, lagBytes: r.lagBytes, paused: r.paused, replayLsn: r.replayLsn ?? null,
      checkedAt: r.checkedAt === undefined ? null : new Date(r.checkedAt).toISOString(), error: r.error ?? null,
      reads: r.reads, failures: r.failures,
    })),
    primaryReads: () => onPrimary,
    writeLsn: () => lsnBatcher.load(null),
    check,
    async close() {
      clearInterval(timer);
      await checking?.catch(() => {});
      await Promise.all(replicas.map((r) => r.db.close().catch(() => {})));
    },
  };
}

/** The primary as the service sees it with replicas: reads through readsOf, closing closes both. */
export function withReplicas(primary: Database, set: ReplicaSet): Database {
  return {
    ...primary,
    reads: set.reads,
    replicaStatuses: set.statuses,
    primaryReads: set.primaryReads,
    writeLsn: set.writeLsn,
    async close() {
      await set.close();
      await primary.close();
    },
  };
}
