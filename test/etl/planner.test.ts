// The planner alone: what is due, which variant, in what order, at what cost, and how many days.
import { describe, expect, it } from 'vitest';
import type { Entitlement } from '../../src/db/repositories/entitlements.ts';
import type { TickerState } from '../../src/db/repositories/ticker-datasets.ts';
import { plan, type PlanInput } from '../../src/etl/planner.ts';
import { OFFERS } from '../../src/sources/alpha-vantage/datasets.ts';

const FRIDAY_EVENING = new Date('2025-01-04T01:00:00Z'); // Friday 2025-01-03, 20:00 New York
const settings = { recheckDays: 7, actionsRefreshDays: 7 };
const refused = (entitlement: string, checked_at = '2025-01-02T12:00:00.000000Z'): Entitlement =>
  ({ entitlement, status: 'refused', reason: 'premium only', checked_at });
const allowed = (entitlement: string): Entitlement => ({ entitlement, status: 'allowed', reason: null, checked_at: '2025-01-02T12:00:00.000000Z' });
const FULL = 'TIME_SERIES_DAILY&outputsize=full';

function input(over: Partial<PlanInput> = {}, states: Record<string, TickerState> = {}): PlanInput {
  return {
    tickers: Object.keys(states).length ? Object.keys(states) : ['A'],
    offers: OFFERS, states: new Map(Object.entries(states)), entitlements: [],
    budget: { perDay: 25, usedToday: 0 }, now: FRIDAY_EVENING, options: settings, ...over,
  };
}

const fetchedAll = (at: string): TickerState['fetchedAt'] => ({ daily: at, weekly: at, monthly: at, splits: at, dividends: at });

describe('plan', () => {
  it('a new ticker: every dataset, the daily one probing full history with compact as the fallback', () => {
    const p = plan(input());
    expect(p.items.map((i) => [i.dataset, i.variant.name, i.fallback?.name, i.requests])).toEqual([
      ['daily', 'full', 'compact', 2], ['weekly', 'full', undefined, 1], ['monthly', 'full', undefined, 1],
      ['splits', 'all', undefined, 1], ['dividends', 'all', undefined, 1],
    ]);
    expect(p).toMatchObject({ requests: 6, days_needed: 1, budget: { per_day: 25, used_today: 0, remaining_today: 25 } });
  });

  it.each([
    ['refused a day ago: compact, no probe', [refused(FULL)], 'compact', undefined, 1],
    ['refused 8 days ago: probed again', [refused(FULL, '2024-12-27T00:00:00.000000Z')], 'full', 'compact', 2],
    ['allowed (a premium key): full, compact kept in reserve at no planned cost', [allowed(FULL)], 'full', 'compact', 1],
  ])('daily of a new ticker, full history %s', (_name, entitlements, variant, fallback, requests) => {
    const daily = plan(input({ entitlements })).items[0]!;
    expect([daily.variant.name, daily.fallback?.name, daily.requests]).toEqual([variant, fallback, requests]);
  });

  it('only the first ticker pays for learning an entitlement', () => {
    const p = plan(input({ tickers: ['A', 'B', 'C'] }));
    expect(p.items.filter((i) => i.dataset === 'daily').map((i) => i.requests)).toEqual([2, 1, 1]);
    expect(p.requests).toBe(16);
  });

  it.each([
    // newest stored bar, last daily fetch, now → due?, variant
    ['up to date', '2025-01-03', '2025-01-04T00:00:00Z', FRIDAY_EVENING, null],
    ['a session behind', '2025-01-02', '2025-01-03T00:00:00Z', FRIDAY_EVENING, 'compact'],
    ['99 weekdays behind', '2024-08-19', '2024-08-20T00:00:00Z', FRIDAY_EVENING, 'compact'],
    ['100 weekdays behind: the compact answer may not reach back', '2024-08-16', '2024-08-17T00:00:00Z', FRIDAY_EVENING, 'full'],
  ] as const)('an existing ticker %s', (_name, newest, fetched, now, variant) => {
    const p = plan(input({ now, entitlements: [allowed(FULL)] }, { A: { newestDaily: newest, fetchedAt: fetchedAll(fetched) } }));
    const daily = p.items.find((i) => i.dataset === 'daily');
    expect(daily?.variant.name ?? null).toBe(variant);
    if (!daily) expect(p.tickers[0]!.datasets[0]!.reason).toMatch(/^up to date: the newest bar \(2025-01-03\)/);
  });

  it('a gap older than compact reaches, with full history refused: compact, and says what it cannot fill', () => {
    const p = plan(input({ entitlements: [refused(FULL)] }, { A: { newestDaily: '2024-01-02', fetchedAt: fetchedAll('2024-01-03T00:00:00Z') } }));
    expect(p.items[0]).toMatchObject({ dataset: 'daily', variant: { name: 'compact' } });
    expect(p.items[0]!.reason).toMatch(/older history needs a variant this key is refused; import it from a file/);
  });

  it('a dataset whose every variant is refused is not asked for, and says until when', () => {
    const p = plan(input({ entitlements: [refused('SPLITS')] }));
    expect(p.items.map((i) => i.dataset)).not.toContain('splits');
    expect(p.tickers[0]!.datasets.find((d) => d.dataset === 'splits')).toEqual({ dataset: 'splits', requests: 0, reason: 'refused for this key (premium only); asked again from 2025-01-09' });
  });

  it('orders daily for every ticker first (stalest first), then weekly and monthly (new tickers first), then corporate actions', () => {
    const p = plan(input({ entitlements: [allowed(FULL)] }, {
      OLD: { newestDaily: '2024-12-20', fetchedAt: { daily: '2024-12-21T00:00:00Z', weekly: '2024-12-21T00:00:00Z', monthly: '2024-12-21T00:00:00Z', splits: '2024-12-01T00:00:00Z', dividends: '2024-12-30T00:00:00Z' } },
      NEW: { fetchedAt: {} },
      RECENT: { newestDaily: '2025-01-02', fetchedAt: { daily: '2025-01-03T00:00:00Z', weekly: '2025-01-03T00:00:00Z', monthly: '2025-01-03T00:00:00Z', splits: '2025-01-01T00:00:00Z', dividends: '2025-01-01T00:00:00Z' } },
    }));
    expect(p.items.map((i) => `${i.ticker}:${i.dataset}`)).toEqual([
      'NEW:daily', 'OLD:daily', 'RECENT:daily',
      'NEW:weekly', 'NEW:monthly', 'OLD:weekly', 'OLD:monthly',
      'NEW:splits', 'NEW:dividends', 'OLD:splits',
    ]);
  });

  it.each([
    // remaining today, per day, tickers' requests, now → days
    [25, 25, 1, FRIDAY_EVENING, 1],
    [0, 25, 1, FRIDAY_EVENING, 1], // tomorrow (Saturday) has the whole budget
    [10, 10, 5, FRIDAY_EVENING, 3], // 26 requests: Friday 10, Saturday 10, Sunday 6
    [10, 10, 5, new Date('2025-01-07T01:00:00Z'), 5], // Monday evening: weekdays need 5 daily requests each
  ])('days needed: %i left today of %i, %i new ticker(s)', (remaining, perDay, tickers, now, days) => {
    const names = Array.from({ length: tickers }, (_, i) => `T${i}`);
    const p = plan(input({ tickers: names, now, budget: { perDay, usedToday: perDay - remaining } }));
    expect(p.days_needed).toBe(days);
  });

  it('no budget (a file): no days to wait; nothing due: zero', () => {
    expect(plan(input({ budget: undefined })).days_needed).toBe(1);
    const done = plan(input({}, { A: { newestDaily: '2025-01-03', fetchedAt: fetchedAll('2025-01-04T00:30:00Z') } }));
    expect(done).toMatchObject({ requests: 0, days_needed: 0, items: [] });
  });

  it('force asks for everything again, the daily series whole; `datasets` narrows the plan', () => {
    const state = { A: { newestDaily: '2025-01-03', fetchedAt: fetchedAll('2025-01-04T00:30:00Z') } };
    expect(plan(input({ options: { ...settings, force: true }, entitlements: [allowed(FULL)] }, state)).items.map((i) => `${i.dataset}:${i.variant.name}`))
      .toEqual(['daily:full', 'weekly:full', 'monthly:full', 'splits:all', 'dividends:all']);
    expect(plan(input({ options: { ...settings, datasets: ['weekly'] } })).items.map((i) => i.dataset)).toEqual(['weekly']);
  });
});

describe('plan: repairing missing sessions', () => {
  const upToDate = (missing: TickerState['missing'], fetchedDaily = '2025-01-02T23:30:00.000Z'): TickerState =>
    ({ newestDaily: '2025-01-03', fetchedAt: { ...fetchedAll('2025-01-02T12:00:00.000Z'), daily: fetchedDaily }, missing });
  const daily = (state: TickerState, now = new Date('2025-01-07T01:00:00Z')) => {
    const p = plan(input({ now, entitlements: [refused(FULL)] }, { A: state }));
    return { item: p.items.find((i) => i.dataset === 'daily'), reason: p.tickers[0]!.datasets.find((d) => d.dataset === 'daily')!.reason };
  };

  it('refetches recent gaps with a compact request and names the older ones', () => {
    const { item, reason } = daily(upToDate({ recent: ['2024-12-20', '2024-12-23'], older: 3 }), new Date('2025-01-04T01:00:00Z'));
    expect(item).toMatchObject({ variant: { name: 'compact' }, requests: 1 });
    expect(reason).toBe('refetch 2 missing sessions since 2024-12-20; 3 older missing sessions need full history or an import: the newest 100 rows');
  });

  it('asks once per New York day, then waits', () => {
    const { item, reason } = daily(upToDate({ recent: ['2024-12-20'], older: 0 }, '2025-01-03T15:00:00.000Z'), new Date('2025-01-03T20:00:00Z'));
    expect(item).toBeUndefined();
    expect(reason).toContain('1 missing session asked for today already');
  });

  it('only older gaps: nothing to fetch, the reason says what would', () => {
    const { item, reason } = daily(upToDate({ recent: [], older: 12 }), new Date('2025-01-04T01:00:00Z'));
    expect(item).toBeUndefined();
    expect(reason).toMatch(/^up to date: .*; 12 older missing sessions need full history or an import$/);
  });
});
