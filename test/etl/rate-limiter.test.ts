// The limiter on a real database with a simulated clock: spacing, the per-minute window, and the
// daily budget kept in the database (so a new limiter — a restart — sees the same count).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BudgetExhaustedError, JITTER_MARGIN_MS, RateLimiter, type Clock } from '../../src/etl/rate-limiter.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../helpers/databases.ts';

/** A clock whose sleeps advance simulated time at once. */
function simulatedClock(start: string): Clock & { t: number } {
  const clock = {
    t: Date.parse(start),
    now: () => clock.t,
    sleep: async (ms: number) => { clock.t += ms; },
  };
  return clock;
}

async function grants(limiter: RateLimiter, clock: { t: number }, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    await limiter.acquire();
    times.push(clock.t);
  }
  return times;
}

/** The most grants inside any window of `ms`. */
function busiestWindow(times: number[], ms: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe.each(DATABASE_KINDS)('rate limiter on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => { t = await openTestDatabase(kind); });
  afterAll(async () => t?.drop());
  beforeEach(async () => { await t.db.exec('TRUNCATE source_usage'); });

  it.each([
    // perMinute, spacing, requests
    [60, 1000, 130],
    [5, 1000, 12],
    [75, 0, 200],
    [1000, 1000, 70],
  ])('%i/minute with %i ms spacing: never closer than the spacing, never more than the limit in a minute', async (perMinute, spacing, n) => {
    const clock = simulatedClock('2024-03-05T15:00:00Z');
    const limiter = new RateLimiter({ db: t.db, source: 'alpha_vantage', perMinute, perDay: 100_000, minSpacingMs: spacing, clock });
    const times = await grants(limiter, clock, n);
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(spacing);
    expect(busiestWindow(times, 60_000)).toBeLessThanOrEqual(perMinute);
    // …and it does not wait needlessly: the limit is reached.
    expect(busiestWindow(times, 60_000 + 2 * JITTER_MARGIN_MS + (spacing ? spacing + JITTER_MARGIN_MS : 0)))
      .toBeGreaterThanOrEqual(Math.min(perMinute, n, spacing ? Math.floor(60_000 / (spacing + JITTER_MARGIN_MS)) : n));
  });

  it('spends the daily budget once per request, keeps it in the database, and starts afresh on the next New York day', async () => {
    const clock = simulatedClock('2024-03-05T15:00:00Z'); // 10:00 in New York
    const first = new RateLimiter({ db: t.db, source: 'alpha_vantage', perMinute: 5, perDay: 3, clock });
    await grants(first, clock, 3);
    await expect(first.acquire()).rejects.toBeInstanceOf(BudgetExhaustedError);
    expect(await first.remainingToday()).toBe(0);

    // A new limiter — what a restart or a second process gets — sees the same count.
    const restarted = new RateLimiter({ db: t.db, source: 'alpha_vantage', perMinute: 5, perDay: 3, clock });
    expect(await restarted.remainingToday()).toBe(0);
    await expect(restarted.acquire()).rejects.toThrow(/budget of alpha_vantage \(3 per New York day\)/);

    clock.t = Date.parse('2024-03-06T04:59:00Z'); // still the 5th in New York
    await expect(restarted.acquire()).rejects.toBeInstanceOf(BudgetExhaustedError);
    clock.t = Date.parse('2024-03-06T05:01:00Z'); // the 6th has begun there
    expect(await restarted.remainingToday()).toBe(3);
    await restarted.acquire();
    expect(await restarted.remainingToday()).toBe(2);
    const { rows } = await t.db.query<{ day: string; requests: number }>(`SELECT day, requests FROM source_usage WHERE source = 'alpha_vantage' ORDER BY day`);
    expect(rows).toEqual([{ day: '2024-03-05', requests: 3 }, { day: '2024-03-06', requests: 1 }]);
  });

  it('holds every request while paused (a source said it is asked too fast), then goes on at its pace', async () => {
    const clock = simulatedClock('2024-03-05T15:00:00Z');
    const limiter = new RateLimiter({ db: t.db, source: 'alpha_vantage', perMinute: 100, perDay: 100, minSpacingMs: 0, clock });
    const start = clock.t;
    await limiter.acquire();
    limiter.pause(60_000);
    await limiter.acquire();
    expect(clock.t - start).toBe(60_000);
    await limiter.acquire();
    expect(clock.t - start).toBe(60_000);
  });

  it('keeps each source\'s budget apart', async () => {
    const clock = simulatedClock('2024-03-05T15:00:00Z');
    const a = new RateLimiter({ db: t.db, source: 'alpha_vantage', perMinute: 100, perDay: 2, minSpacingMs: 0, clock });
    const b = new RateLimiter({ db: t.db, source: 'other', perMinute: 100, perDay: 2, minSpacingMs: 0, clock });
    await grants(a, clock, 2);
    expect(await b.remainingToday()).toBe(2);
    await expect(a.acquire()).rejects.toBeInstanceOf(BudgetExhaustedError);
  });

  it('never grants with a budget of 0', async () => {
    const clock = simulatedClock('2024-03-05T15:00:00Z');
    const limiter = new RateLimiter({ db: t.db, source: 'alpha_vantage', perMinute: 5, perDay: 0, clock });
    await expect(limiter.acquire()).rejects.toBeInstanceOf(BudgetExhaustedError);
    expect(await limiter.remainingToday()).toBe(0);
  });

  it('serves concurrent callers one at a time, in order', async () => {
    const clock = simulatedClock('2024-03-05T15:00:00Z');
    const limiter = new RateLimiter({ db: t.db, source: 'alpha_vantage', perMinute: 100, perDay: 100, clock });
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => limiter.acquire().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
    expect(await limiter.remainingToday()).toBe(96);
  });

  it('stops waiting when the signal aborts', async () => {
    const limiter = new RateLimiter({ db: t.db, source: 'alpha_vantage', perMinute: 1, perDay: 100, minSpacingMs: 60_000 });
    await limiter.acquire();
    const abort = new AbortController();
    const waiting = limiter.acquire(abort.signal);
    setTimeout(() => abort.abort(new Error('stopping')), 20);
    await expect(waiting).rejects.toThrow('stopping');
    expect(await limiter.remainingToday()).toBe(99);
  });
});
