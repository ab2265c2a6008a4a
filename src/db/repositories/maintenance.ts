// Housekeeping the service does while it runs: folding count deltas and derived bars every 2 s
// (see counts.ts, derived-bars.ts),
// vacuuming the count tables that folding churns, and, on the embedded database, what
// PostgreSQL's autovacuum does on a server (profile.ts: ownVacuum). PGlite runs
// no background workers, so without this its tables would never be vacuumed (dead rows from
// updates and from the deltas would pile up) nor analyzed (the planner would guess, and pick
// bad plans).
import type { Logger } from '../../logger.ts';
import { foldCounts } from './counts.ts';
import { foldDerivedBars } from './derived-bars.ts';
import type { Database, Queryable } from '../driver/database.ts';
import { profileOf } from '../driver/profile.ts';

const COMPACT_EVERY_MS = 2000;
/**
 * Folding deletes every delta row and rewrites count rows; under steady writes that leaves
 * thousands of dead rows a minute in tables every listing reads. Autovacuum may be off, or
 * a minute behind (on this project's own machines it is off), and after a few minutes of writes
 * an unfiltered page slows several times over, its delta table grown to mostly empty pages. So
 * the service vacuums them itself, every 10 s when anything was folded (and once after start, for
 * whatever an earlier process left): cheap on tables this small.
 */
const SWEEP_EVERY_MS = 10_000;
export const COUNT_TABLES = ['market_data_day_count_deltas', 'market_data_ticker_stat_deltas', 'market_data_day_counts', 'market_data_ticker_stats', 'market_data_total'];
/** What the folds empty: the pending derived-bar ranges too, or PGlite (no autovacuum) keeps their dead rows. */
const FOLDED_TABLES = [...COUNT_TABLES, 'derived_bars_pending'];
const SMALL_TABLES = [...FOLDED_TABLES, 'etl_runs', 'etl_run_tickers', 'source_usage', 'ticker_datasets', 'source_entitlements', 'etl_schedule'];
/** The small, busy tables (deltas, counts, history) are vacuumed often, market_data analyzed. */
const TIDY_EVERY_MS = 10 * 60_000;
/** The first tidying soon after start, so a database that never had statistics gets them. */
const FIRST_TIDY_AFTER_MS = 15_000;
/**
 * market_data itself changes by updates rarely (a revised bar, an API edit), and its first vacuum
 * after a large load reads every page — seconds during which the embedded database, one
 * statement at a time, serves nothing else — so it is vacuumed once a day.
 */
const VACUUM_DATA_EVERY_MS = 24 * 3_600_000;

/**
 * Whether market_data's planner statistics are missing or describe a table whose size has since
 * changed by more than autovacuum's default threshold (50 rows + 10%). ANALYZE samples the table
 * (on PGlite with every other statement waiting), so it only runs when it would tell the
 * planner something new. The row count is the maintained total, read in O(1).
 */
export async function statisticsStale(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ stale: boolean }>(
    `SELECT c.reltuples < 0 OR abs(t.rows - c.reltuples) > 50 + 0.1 * c.reltuples AS stale
     FROM pg_class c, market_data_total t WHERE c.oid = 'market_data'::regclass`);
  return rows[0]?.stale ?? true;
}

interface MaintenanceTimes { compactMs: number; sweepMs: number; firstTidyMs: number; tidyMs: number; vacuumDataMs: number }

const TIMES: MaintenanceTimes = {
  compactMs: COMPACT_EVERY_MS, sweepMs: SWEEP_EVERY_MS, firstTidyMs: FIRST_TIDY_AFTER_MS, tidyMs: TIDY_EVERY_MS, vacuumDataMs: VACUUM_DATA_EVERY_MS,
};

export class Maintenance {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<unknown> | undefined;
  private failing = false;
  /** Deltas folded since the count tables were last vacuumed. */
  private folded = true;
  private readonly times: MaintenanceTimes;

  constructor(private readonly db: Database, private readonly logger: Logger, times: Partial<MaintenanceTimes> = {}) {
    this.times = { ...TIMES, ...times };
  }

  start(): void {
    const profile = profileOf(this.db);
    // On the embedded database each fold or vacuum statement holds it for everyone, so while others
    // use it the heavy ones wait — up to a bound, then one goes (reads never depend on them).
    const mayRun = (last: number, bound: number) => !profile.busy() || Date.now() - last >= bound;
    let lastDerived = Date.now();
    let lastSweep = Date.now();
    this.every(this.times.compactMs, async () => {
      if ((await foldCounts(this.db)) > 0) this.folded = true;
      if (!mayRun(lastDerived, 2 * this.times.sweepMs)) return;
      if ((await foldDerivedBars(this.db, undefined, () => profile.busy())) > 0) this.folded = true;
      lastDerived = Date.now();
    });
    // SKIP_LOCKED: a replica already vacuuming a table is left to it rather than waited for.
    this.every(this.times.sweepMs, async () => {
      if (!this.folded || !mayRun(lastSweep, 6 * this.times.sweepMs)) return;
      await this.db.exec(`VACUUM (ANALYZE, SKIP_LOCKED) ${FOLDED_TABLES.join(', ')}`);
      this.folded = false; // tasks never overlap (run), so nothing was folded meanwhile
      lastSweep = Date.now();
    });
    if (profile.ownVacuum) {
      // One statement each: several in one exec would form a transaction, where VACUUM cannot run.
      let tidyDue: number | undefined;
      let retry: NodeJS.Timeout | undefined; // one timer, rearmed: a service busy for days adds none
      const tidy = async () => {
        tidyDue ??= Date.now();
        if (!mayRun(tidyDue, 6 * this.times.sweepMs)) {
          if (retry) retry.refresh();
          else this.timers.push(retry = setTimeout(() => this.run(tidy), this.times.compactMs).unref());
          return;
        }
        tidyDue = undefined;
        await this.db.exec(`VACUUM (ANALYZE) ${SMALL_TABLES.join(', ')}`);
        if (await statisticsStale(this.db)) await this.db.exec('ANALYZE market_data');
      };
      // The first one is not skipped for a task already running, but tried again shortly.
      const first = () => { if (!this.run(tidy)) this.timers.push(setTimeout(first, this.times.compactMs).unref()); };
      this.timers.push(setTimeout(first, this.times.firstTidyMs).unref());
      this.every(this.times.tidyMs, tidy);
      this.every(this.times.vacuumDataMs, () => this.db.exec('VACUUM market_data'));
    }
  }

  async stop(): Promise<void> {
    this.timers.forEach(clearTimeout);
    await this.running;
  }

  private every(ms: number, task: () => Promise<unknown>): void {
    this.timers.push(setInterval(() => this.run(task), ms).unref());
  }

  /** One task at a time; a task due while another runs is skipped (it comes again). Says whether it started. */
  private run(task: () => Promise<unknown>): boolean {
    if (this.running) return false;
    this.running = task().then(
      () => { this.failing = false; },
      (err: Error) => {
        // A database outage shows everywhere else; say it once here, not every 2 s.
        if (!this.failing) this.logger.warn({ err: err.message }, 'database maintenance failed; will retry');
        this.failing = true;
      },
    ).finally(() => { this.running = undefined; });
    return true;
  }
}
