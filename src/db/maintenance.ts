// Housekeeping the service does while it runs: folding count deltas every 2 s (see counts.ts),
// and, on the embedded database only, what PostgreSQL's autovacuum does on a server. PGlite runs
// no background workers, so without this its tables would never be vacuumed (dead rows from
// updates and from the deltas would pile up) nor analyzed (the planner would guess, and pick
// bad plans).
import type { Logger } from '../logger.ts';
import { compactCounts } from './counts.ts';
import type { Database } from './database.ts';

const COMPACT_EVERY_MS = 2000;
/** The small, busy tables (deltas, counts, history) are vacuumed often, market_data analyzed. */
const TIDY_EVERY_MS = 10 * 60_000;
/** The first tidying soon after start, so a database that never had statistics gets them. */
const FIRST_TIDY_AFTER_MS = 15_000;
/**
 * market_data itself changes by updates rarely (a revised bar, an API edit), and its first vacuum
 * after a large load reads every page — seconds during which PGlite's one connection serves
 * nothing — so it is vacuumed once a day.
 */
const VACUUM_DATA_EVERY_MS = 24 * 3_600_000;
const SMALL_TABLES = ['market_data_day_counts', 'market_data_day_count_deltas', 'market_data_ticker_stats',
  'market_data_ticker_stat_deltas', 'market_data_total', 'etl_runs', 'etl_run_tickers', 'alpha_vantage_usage', 'etl_schedule'];

export interface MaintenanceTimes { compactMs: number; firstTidyMs: number; tidyMs: number; vacuumDataMs: number }

const TIMES: MaintenanceTimes = { compactMs: COMPACT_EVERY_MS, firstTidyMs: FIRST_TIDY_AFTER_MS, tidyMs: TIDY_EVERY_MS, vacuumDataMs: VACUUM_DATA_EVERY_MS };

export class Maintenance {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<unknown> | undefined;
  private failing = false;
  private readonly times: MaintenanceTimes;

  constructor(private readonly db: Database, private readonly logger: Logger, times: Partial<MaintenanceTimes> = {}) {
    this.times = { ...TIMES, ...times };
  }

  start(): void {
    this.every(this.times.compactMs, () => compactCounts(this.db));
    if (this.db.kind === 'pglite') {
      // One statement each: several in one exec would form a transaction, where VACUUM cannot run.
      const tidy = async () => {
        await this.db.exec(`VACUUM (ANALYZE) ${SMALL_TABLES.join(', ')}`);
        await this.db.exec('ANALYZE market_data');
      };
      this.timers.push(setTimeout(() => this.run(tidy), this.times.firstTidyMs).unref());
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

  /** One task at a time; a task due while another runs is skipped (it comes again). */
  private run(task: () => Promise<unknown>): void {
    this.running ??= task().then(
      () => { this.failing = false; },
      (err: Error) => {
        // A database outage shows everywhere else; say it once here, not every 2 s.
        if (!this.failing) this.logger.warn({ err: err.message }, 'database maintenance failed; will retry');
        this.failing = true;
      },
    ).finally(() => { this.running = undefined; });
  }
}
