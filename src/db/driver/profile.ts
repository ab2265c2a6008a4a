// What still differs between the embedded database and a PostgreSQL server, in one place: the
// rest of the code asks this module and runs one path. The embedded database runs one statement
// at a time (one PGlite session behind the worker's wire server, see wire-server.ts), a
// transaction holds it for everyone, and it has no autovacuum; a server runs statements on as
// many backends (and cores) as it has.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatcherOptions } from './batcher.ts';
import type { Database } from './database.ts';
import { toDatabaseError } from './errors.ts';

export interface Profile {
  /** How concurrent listings share statements (batcher.ts). */
  listBatching: BatcherOptions;
  /** Rows per export query: on the embedded database each one holds it for everyone else. */
  exportBatchSize: number;
  /** Rows per upsert statement of a load. */
  loadBatchSize: number;
  /**
   * A bulk import stages its rows with COPY and merges them per ticker in SQL (a server), or
   * holds them per ticker and loads them as the ETL does (the embedded database, whose one
   * session a COPY of millions of rows would hold for everyone).
   */
  importByCopy: boolean;
  /** Tickers loading at once, each in its own transaction. */
  loadsAtOnce: number;
  /**
   * A new ticker's history is loaded one batch per transaction, undone as a whole if the load
   * does not finish (load-journal.ts), rather than in one transaction that holds the embedded
   * database for everyone until it commits.
   */
  newTickerSteps: boolean;
  /** Day deltas folded per statement (undefined: all in one). */
  countFoldStep: number | undefined;
  /** Tickers whose derived weeks and months are remade per statement (undefined: all in one). */
  derivedFoldStep: number | undefined;
  /** Statements the every-ticker quality report is split into, each over a range of tickers. */
  qualityStatements: number;
  /** Vacuum and analyze the tables ourselves (PGlite runs no autovacuum). */
  ownVacuum: boolean;
  /** Whether an error opening the database may pass by waiting (a server still starting). */
  transientAtStart(err: unknown): boolean;
  /**
   * After a load, or a step of one, that took `loadMs`: on the embedded database, waits while other connections are
   * using it, up to LOAD_YIELD_FACTOR × loadMs, so that under steady API traffic loads take a
   * bounded share of it and run at full speed otherwise. Resolves at once on a server.
   */
  afterLoad(loadMs: number, signal?: AbortSignal): Promise<void>;
  /**
   * Whether others are using the embedded database right now, so that housekeeping that holds
   * it for tens of milliseconds a statement (derived-bar folds, vacuums) should wait: reads never
   * depend on it. Always false on a server.
   */
  busy(): boolean;
}

/**
 * While others use the embedded database, a load pauses after each step for up to this many
 * times the step's own duration: the API keeps most of the database, and the load goes on.
 */
export const LOAD_YIELD_FACTOR = 8;
/**
 * Another connection started a statement this recently: the database counts as in use. Under
 * load the API's statements come in bursts tens of milliseconds apart (its thread parses
 * requests in between), so a shorter window ended the pause while the API was still busy.
 */
export const BUSY_WITHIN_MS = 100;

interface EmbeddedHooks {
  /**
   * When a statement last started on another connection than the statement before it, or others
   * were found waiting as one ended (wire-server.ts: onOthers).
   */
  othersActiveAt(): number;
}
const embedded = new WeakMap<Database, EmbeddedHooks>();

/** Called by pglite.ts for each embedded database it opens. */
export function registerEmbedded(db: Database, hooks: EmbeddedHooks): void {
  embedded.set(db, hooks);
}

const server: Profile = {
  // One listing statement runs in one backend, on one core: statements of at most 8, 4 at once,
  // kept both cores of a 2-core host busy, and served more than fewer, larger statements did.
  listBatching: { maxInFlight: 4, maxBatch: 8 },
  exportBatchSize: 5000,
  loadBatchSize: 5000,
  importByCopy: true,
  // Two loads keep two backends busy: a backfill runs markedly faster than with one.
  loadsAtOnce: 2,
  newTickerSteps: false,
  countFoldStep: undefined,
  derivedFoldStep: undefined,
  // The report's window pass runs on one core: two ranges of tickers on two backends, about twice
  // as fast on a 2-core host.
  qualityStatements: 2,
  ownVacuum: false,
  // A server still starting, or not reachable yet: the kinds toDatabaseError says may pass.
  transientAtStart: (err) => ['unavailable', 'connect_timeout'].includes(toDatabaseError(err).kind),
  afterLoad: async () => {},
  busy: () => false,
};

function embeddedProfile(db: Database): Profile {
  const hooks = embedded.get(db);
  return {
    // More statements at once only queue in the worker: the batcher's defaults.
    listBatching: {},
    // A thousand rows take a few milliseconds: a health check waits no longer than that behind an export.
    exportBatchSize: 1000,
    // A step of a new ticker's load (newTickerSteps) holds the database this many rows long.
    loadBatchSize: 500,
    importByCopy: false,
    loadsAtOnce: 1,
    newTickerSteps: true,
    // A full history's day deltas folded at once hold the database for a noticeable time; 500 do not.
    countFoldStep: 500,
    // A ticker's decades of daily bars take tens of milliseconds to aggregate.
    derivedFoldStep: 1,
    // Each statement holds the database for everyone: a tenth of the tickers at a time, so that
    // other requests get in between; more statements cost more in all.
    qualityStatements: 10,
    ownVacuum: true,
    transientAtStart: () => false,
    busy: () => hooks !== undefined && Date.now() - hooks.othersActiveAt() < BUSY_WITHIN_MS,
    afterLoad: async (loadMs, signal) => {
      if (!hooks) return;
      const started = Date.now() - loadMs;
      const until = Date.now() + LOAD_YIELD_FACTOR * loadMs;
      // During the load nobody else could start a statement: others busy just before it still are.
      let last = hooks.othersActiveAt();
      if (last >= started - BUSY_WITHIN_MS) last = Math.max(last, Date.now());
      while (!signal?.aborted && Date.now() < until) {
        last = Math.max(last, hooks.othersActiveAt());
        if (Date.now() - last >= BUSY_WITHIN_MS) break;
        await sleep(5);
      }
    },
  };
}

const profiles = new WeakMap<Database, Profile>();

/** The behaviour that suits `db`: the one place that asks which kind of database it is. */
export function profileOf(db: Database): Profile {
  let profile = profiles.get(db);
  if (!profile) {
    profile = db.kind === 'pglite' ? embeddedProfile(db) : server;
    profiles.set(db, profile);
  }
  return profile;
}
