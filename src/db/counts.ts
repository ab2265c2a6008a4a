// The maintained counts (rows per day, rows per ticker) take writers' changes as appended deltas
// (migration 0005); folding them into the counts is this module's job. Readers never depend on it:
// they add whatever deltas are pending. Folding keeps those reads small.
import type { Logger } from '../logger.ts';
import type { Queryable } from './database.ts';

/** Folds pending deltas into the counts; returns the delta rows folded (0 if another session is at it). */
export async function compactCounts(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ folded: number | string }>('SELECT market_data_compact_counts() AS folded', [], { name: 'compact_counts' });
  return Number(rows[0]!.folded);
}

/** Compacts every `intervalMs` while started; one compaction at a time. */
export class CountCompactor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private failing = false;

  constructor(private readonly db: Queryable, private readonly logger: Logger, private readonly intervalMs = 2000) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= compactCounts(this.db).then(
        () => { this.failing = false; },
        (err: Error) => {
          // A database outage shows everywhere else; say it once here, not every 2 s.
          if (!this.failing) this.logger.warn({ err: err.message }, 'count compaction failed; will retry');
          this.failing = true;
        },
      ).finally(() => { this.running = undefined; });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
