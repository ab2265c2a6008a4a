// Runs the ETL at start and then every ETL_INTERVAL_MINUTES — once per interval across every
// replica sharing the database. The schedule lives in the database (etl_schedule.next_run_at); a
// replica runs only if its guarded upsert moves next_run_at forward, which exactly one can do.
// The database's clock decides, so replicas with skewed clocks still agree.
import type { Database, Queryable } from '../db/driver/database.ts';
import { claimSlot, untilNextRun as untilNextRunOf } from '../db/repositories/etl-schedule.ts';
import type { Logger } from '../logger.ts';
import { RunInProgressError, type EtlRunner } from './runner.ts';

const SCHEDULE = 'default';
/** Re-read the shared schedule at least this often (another replica may have moved it). */
const MAX_SLEEP_MS = 30_000;
const RETRY_AFTER_ERROR_MS = 15_000;

interface SchedulerOptions {
  db: Database;
  runner: EtlRunner;
  logger: Logger;
  intervalMinutes: number;
  tickers: string[];
  /** Names this process in etl_schedule.claimed_by. */
  instanceId: string;
}

/** Milliseconds until the next scheduled run is due by the database's clock (0 when due or never claimed). */
export function untilNextRun(db: Queryable): Promise<{ ms: number; at: string | null }> {
  return untilNextRunOf(db, SCHEDULE);
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private ticking: Promise<void> | undefined;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    this.options.logger.info({ interval_minutes: this.options.intervalMinutes, tickers: this.options.tickers }, 'etl scheduler started');
    this.schedule(0);
  }

  /** Stops scheduling, abandons the current run cleanly, and waits for it to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort(new Error('the service is stopping'));
    await this.ticking;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => { this.ticking = undefined; });
    }, ms);
  }

  private async tick(): Promise<void> {
    const { db, runner, logger, intervalMinutes, tickers, instanceId } = this.options;
    let next = RETRY_AFTER_ERROR_MS;
    try {
      if (await claimSlot(db, SCHEDULE, intervalMinutes * 60_000, instanceId)) {
        if (runner.running) {
          logger.warn('scheduled etl run skipped: the previous run is still going');
        } else {
          await runner.run({ tickers, trigger: 'schedule', signal: this.abort.signal }).catch((err) => {
            if (err instanceof RunInProgressError) logger.warn('scheduled etl run skipped: a run is in progress elsewhere');
            else throw err;
          });
        }
      }
      next = Math.min((await untilNextRun(db)).ms, MAX_SLEEP_MS);
    } catch (err) {
      if (!this.stopped) logger.warn({ err: (err as Error).message }, 'etl scheduler: will retry');
    }
    this.schedule(next);
  }
}
