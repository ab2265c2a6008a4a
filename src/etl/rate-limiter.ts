// The one gate in front of a source (one per source and process). Three limits, all enforced
// before a request leaves:
//  - never two requests within `minSpacingMs` (default 1 s: Alpha Vantage enforces about one
//    request a second);
//  - at most `perMinute` in any 60 s window;
//  - at most `perDay` per New York day, counted in the database so that a restart does not reset
//    it and every process on the same database shares one budget.
// A source that says it is being asked too fast pauses every request through the gate.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '../db/driver/database.ts';
import { requestsOn, takeRequest } from '../db/repositories/source-usage.ts';
import { newYork } from './freshness.ts';

const MIN_SPACING_MS = 1000;
const WINDOW_MS = 60_000;
/**
 * Added to the spacing and to the window. Grants are timed here, arrivals at Alpha Vantage: a
 * request that waits longer for its connection than the next one would otherwise arrive less than
 * the spacing after it. 10% of the default spacing is far more than loopback or a LAN adds.
 */
export const JITTER_MARGIN_MS = 100;

export class BudgetExhaustedError extends Error {
  constructor(readonly perDay: number, source: string) {
    super(`the daily request budget of ${source} (${perDay} per New York day) is used up for today`);
    this.name = 'BudgetExhaustedError';
  }
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // Rejects with the signal's reason (timers/promises rejects with an AbortError around it).
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch((err: unknown) => {
    throw signal?.aborted ? signal.reason : err;
  }),
};

interface RateLimiterOptions {
  db: Queryable;
  /** Whose budget this is (source_usage.source). */
  source: string;
  perMinute: number;
  perDay: number;
  /** Least time between two requests; 0 turns the spacing off (premium keys, a local fake). */
  minSpacingMs?: number;
  clock?: Clock;
}

export class RateLimiter {
  private readonly clock: Clock;
  private readonly spacingMs: number;
  /** Times of the requests granted in the last minute, oldest first. */
  private granted: number[] = [];
  /** Callers are served one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** No request before this time (set by pause). */
  private pausedUntil = 0;

  constructor(private readonly options: RateLimiterOptions) {
    this.clock = options.clock ?? systemClock;
    const spacing = options.minSpacingMs ?? MIN_SPACING_MS;
    this.spacingMs = spacing > 0 ? spacing + JITTER_MARGIN_MS : 0;
  }

  /** How long from `now` until the next request may leave (0 if it may leave now). */
  waitFor(now: number): number {
    const window = WINDOW_MS + JITTER_MARGIN_MS;
    while (this.granted.length && this.granted[0]! <= now - window) this.granted.shift();
    const last = this.granted.at(-1);
    let wait = Math.max(this.pausedUntil - now, last === undefined ? 0 : last + this.spacingMs - now);
    if (this.granted.length >= this.options.perMinute) {
      wait = Math.max(wait, this.granted[this.granted.length - this.options.perMinute]! + window - now);
    }
    return Math.max(0, wait);
  }

  /** Holds every request for `ms` from now: the source said it is being asked too fast. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  get perDay(): number {
    return this.options.perDay;
  }

  /**
   * Resolves when one request may be sent, having counted it against today's budget; rejects with
   * BudgetExhaustedError when the budget is used up, or with the signal's reason when aborted.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.take(signal));
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (let wait = this.waitFor(this.clock.now()); wait > 0; wait = this.waitFor(this.clock.now())) {
      await this.clock.sleep(wait, signal);
    }
    signal?.throwIfAborted();
    const { db, source, perDay } = this.options;
    if (!await takeRequest(db, source, this.today(), perDay)) throw new BudgetExhaustedError(perDay, source);
    this.granted.push(this.clock.now());
  }

  /** Requests left in today's budget. */
  async remainingToday(): Promise<number> {
    return Math.max(0, this.options.perDay - await requestsOn(this.options.db, this.options.source, this.today()));
  }

  private today(): string {
    return newYork(new Date(this.clock.now())).date;
  }
}
