// Upstream chaos: a fake Alpha Vantage answering 200 tickers with every documented failure body,
// HTTP errors, HTML and truncated JSON, slow answers, answers slower than the client waits, and
// dropped connections, mixed at random (seeded), over repeated runs. Each run ends; every ticker
// gets exactly the outcome its answers call for (transient failures retried, a rate limit waited
// out once), with a reason naming it; the daily limit and our own budget defer the rest of a run,
// a refused key stops it; the budget holds (requests the fake saw = requests counted in the
// database ≤ budget); memory stays flat. (A premium refusal is about the key, not one symbol: it is
// learned for every ticker, so it is tested in test/etl/acquisition.test.ts, not mixed in here.)
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDetail } from '../../src/db/repositories/etl-runs.ts';
import { createEtl, type Etl } from '../../src/etl/index.ts';
import { syntheticBars } from '../fixtures/alpha-vantage.ts';
import { captureLogger, testConfig } from '../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startFakeAlphaVantage, type Behaviour, type FakeAlphaVantage } from '../helpers/fake-alpha-vantage.ts';

const KEY = 'AVKEY-upstream-chaos-0123456789';
const NOW = new Date('2025-01-02T12:00:00Z');
const TICKERS = Array.from({ length: 200 }, (_, i) => `CH${String(i).padStart(3, '0')}`);
const RETRIES = 3;
// Generous against a busy 2-core machine: an ordinary answer must never look like a timeout.
const CLIENT_TIMEOUT_MS = 600;
const RUNS = 5;

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

// What each kind of answer is, and how the pipeline must report it (the reason's label).
type Kind = 'data' | 'timeout' | 'network' | 'http_error' | 'http_4xx' | 'minute_limit' | 'burst_limit' | 'demo_key'
  | 'invalid_symbol' | 'empty' | 'malformed' | 'missing_series' | 'daily_limit' | 'invalid_key';
const TRANSIENT = new Set<Kind>(['timeout', 'network', 'http_error']);
const RATE_LIMIT = new Set<Kind>(['minute_limit', 'burst_limit']);
const LABEL: Record<Exclude<Kind, 'data'>, string> = {
  timeout: 'timeout', network: 'network error', http_error: 'HTTP error', http_4xx: 'HTTP error', minute_limit: 'per-minute limit',
  burst_limit: 'burst limit', demo_key: 'demo key refused', invalid_symbol: 'invalid symbol',
  empty: 'no data', malformed: 'malformed response', missing_series: 'unexpected response', daily_limit: "Alpha Vantage's daily limit", invalid_key: 'invalid API key',
};
const series = { synthetic: 60, end: '2024-12-31' } as const;
const withBadRows = (() => {
  const bars = syntheticBars('BAD', 60, '2024-12-31');
  bars[5] = { ...bars[5]!, close: '-1.0000' };
  bars[9] = { ...bars[9]!, volume: '12.5' };
  return { data: bars };
})();
const ANSWERS: [Kind, Behaviour, number][] = [
  ['data', series, 8], ['data', withBadRows, 1], ['data', { delayMs: 30, then: series }, 2],
  ['timeout', { delayMs: CLIENT_TIMEOUT_MS + 400, then: series }, 0.5], ['network', { drop: true }, 2],
  ['http_error', { http: 503 }, 1], ['http_error', { http: 500 }, 1], ['http_error', { http: 502 }, 1], ['http_4xx', { http: 404 }, 0.5],
  ['minute_limit', { http: 429 }, 0.5], ['minute_limit', { fail: 'minute_limit' }, 0.5], ['burst_limit', { fail: 'burst_limit' }, 1],
  ['demo_key', { fail: 'demo_key' }, 0.5], ['invalid_symbol', { fail: 'invalid_symbol' }, 0.5],
  ['empty', { fail: 'empty' }, 0.5], ['malformed', { body: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' }, 0.5],
  ['malformed', { body: '{"Meta Data": {"1. Information": "Daily Prices', status: 200 }, 0.5], ['malformed', { body: '[]' }, 0.3],
  ['missing_series', { body: '{"Meta Data":{"2. Symbol":"X"}}' }, 0.3],
];
const TOTAL_WEIGHT = ANSWERS.reduce((s, a) => s + a[2], 0);

interface Plan { answers: [Kind, Behaviour][]; final: Kind; attempts: number; rejected: boolean }

function planFor(rand: () => number, forced?: Kind): Plan {
  const pick = (): [Kind, Behaviour] => {
    let r = rand() * TOTAL_WEIGHT;
    for (const [kind, b, w] of ANSWERS) if ((r -= w) <= 0) return [kind, b];
    return ['data', series];
  };
  const answers = forced === 'daily_limit' ? [['daily_limit', { fail: 'daily_limit' }] as [Kind, Behaviour]]
    : forced === 'invalid_key' ? [['invalid_key', { fail: 'invalid_key' }] as [Kind, Behaviour]]
      : Array.from({ length: 1 + Math.floor(rand() * 4) }, pick);
  // The client's retries: a transient failure is retried RETRIES times, a rate limit waited out
  // once (then one more attempt); the first other answer decides, or the last attempt.
  let attempts = 0;
  let transient = 0;
  let waited = false;
  let final: [Kind, Behaviour] = answers[0]!;
  for (let a = 0; a < RETRIES + 2; a++) {
    attempts++;
    final = answers[Math.min(a, answers.length - 1)]!;
    if (TRANSIENT.has(final[0]) && transient++ < RETRIES) continue;
    if (RATE_LIMIT.has(final[0]) && !waited) {
      waited = true;
      continue;
    }
    break;
  }
  return { answers, final: final[0], attempts, rejected: final[1] === withBadRows };
}

describe.each(DATABASE_KINDS)('upstream chaos on %s', (kind) => {
  let t: TestDatabase;
  let fake: FakeAlphaVantage;
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
  const rand = random(seed);
  // Runs 1-4 fit the budget; run 5 runs out of it half way.
  const plans = Array.from({ length: RUNS }, (_, run) => TICKERS.map((_, i) =>
    planFor(rand, run === 0 && i === 190 ? 'daily_limit' : run === 1 && i === 180 ? 'invalid_key' : undefined)));
  // The planner fetches the stalest first: tickers with no stored bar (in the order given), then
  // the rest (every stored series ends on the same day). Which tickers hold bars after each run
  // follows from the plans, so each run's order and request count are known in advance.
  const orders: number[][] = [];
  const planned: number[] = [];
  const holding = new Set<number>();
  for (const [run, p] of plans.entries()) {
    const order = [...TICKERS.keys()].sort((a, b) => Number(holding.has(a)) - Number(holding.has(b)) || a - b);
    let requests = 0;
    for (const i of order) {
      requests += p[i]!.attempts;
      if (p[i]!.final === 'data') holding.add(i);
      if ((run === 0 && i === 190) || (run === 1 && i === 180)) break;
    }
    orders.push(order);
    planned.push(requests);
  }
  const budget = planned.slice(0, 4).reduce((a, b) => a + b, 0) + Math.floor(planned[4]! / 2);

  beforeAll(async () => {
    [t, fake] = await Promise.all([openTestDatabase(kind), startFakeAlphaVantage({ key: KEY, tier: 'premium' })]);
  });
  afterAll(async () => {
    await fake?.close();
    await t?.drop();
  });

  function etl(): Etl {
    const config = testConfig({
      ALPHA_VANTAGE_BASE_URL: fake.url, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0',
      ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '100000', ALPHA_VANTAGE_REQUESTS_PER_DAY: String(budget), ETL_DATASETS: 'daily',
    });
    return createEtl(config, t.db, captureLogger(config).logger, {
      retry: { retries: RETRIES, minDelayMs: 1, maxDelayMs: 5, rateLimitWaitMaxMs: 1 }, timeoutMs: CLIENT_TIMEOUT_MS, now: () => NOW,
    });
  }

  it('ends every run with an outcome and a reason per ticker, holds the budget, and keeps memory flat', async () => {
    const runner = etl().runner; // one long-lived pipeline, as in the service
    const heap: number[] = [];
    let seen = 0;
    const tally = { requests: 0, faults: 0, byOutcome: {} as Record<string, number> };
    const stored: (string | undefined)[][] = [];

    for (let run = 0; run < RUNS; run++) {
      for (const [i, ticker] of TICKERS.entries()) fake.set(ticker, plans[run]![i]!.answers.map(([, b]) => b));
      const started = Date.now();
      const result: RunDetail = await runner.run({ tickers: TICKERS, trigger: 'api', force: true });
      expect(Date.now() - started).toBeLessThan(120_000);
      expect(result.details).toHaveLength(TICKERS.length);
      const requests = fake.requests.length;
      fake.requests.length = 0; // the fake's log is this process's memory too
      seen += requests;
      tally.requests += requests;
      expect(result.details.reduce((s, d) => s + d.requests, 0)).toBe(requests);

      let stop: { status: string; reason: RegExp } | undefined;
      for (const i of orders[run]!) {
        const d = result.details[i]!;
        const plan = plans[run]![i]!;
        tally.faults += plan.answers.slice(0, plan.attempts).filter(([k]) => k !== 'data').length;
        const what = `run ${run + 1} ${d.ticker} (seed ${seed}): ${JSON.stringify(d)} for ${JSON.stringify(plan.answers.map(([k]) => k))}`;
        if (stop) {
          expect(d.status, what).toBe(stop.status);
          expect(d.reason, what).toMatch(stop.reason);
          continue;
        }
        if (d.status === 'deferred' && /daily request budget/.test(d.reason ?? '')) { // our own budget ran out here
          expect(run, what).toBe(RUNS - 1);
          stop = { status: 'deferred', reason: /^deferred: the daily request budget of alpha_vantage/ };
          continue;
        }
        tally.byOutcome[plan.final] = (tally.byOutcome[plan.final] ?? 0) + 1;
        expect(d.requests, what).toBe(plan.attempts);
        if (plan.final === 'data') {
          // Which version of each of the 60 days is stored decides whether this load changes anything.
          const rows = (stored[i] ??= Array<string | undefined>(60).fill(undefined));
          const next = plan.rejected ? 'B' : 'S';
          let changed = false;
          for (let day = 0; day < 60; day++) {
            if (plan.rejected && (day === 5 || day === 9)) continue; // the two rejected rows
            if (rows[day] !== next) changed = true;
            rows[day] = next;
          }
          expect(d.status, what).toBe(changed ? 'success' : 'no_new_data');
          if (plan.rejected) expect(d.reason, what).toBe('2 row(s) rejected');
        } else if (plan.final === 'daily_limit') {
          expect(d.status, what).toBe('deferred');
          expect(d.reason, what).toMatch(/^deferred: Alpha Vantage's daily limit: /);
          stop = { status: 'deferred', reason: /^deferred: Alpha Vantage's daily limit: / };
        } else {
          expect(d.status, what).toBe('failed');
          expect(d.reason, what).toMatch(new RegExp(`^${LABEL[plan.final]}:? `));
          if (plan.attempts > 1 && !TRANSIENT.has(plan.final) && !RATE_LIMIT.has(plan.final)) expect(d.reason, what).not.toContain('gave up');
          if (plan.attempts > 1 && (TRANSIENT.has(plan.final) || RATE_LIMIT.has(plan.final))) expect(d.reason, what).toContain(`(gave up after ${plan.attempts} attempts)`);
        }
        if (plan.final === 'invalid_key') stop = { status: 'skipped', reason: /^skipped: the run stopped because the source rejected the credentials$/ };
      }
      expect(result.status).toBe(run === 1 ? 'failed' : 'completed');
      if (run < RUNS - 1) expect(requests).toBe(planned[run]);

      // The budget holds: what the fake saw is what the database counted, and never more than the budget.
      const { rows } = await t.db.query<{ used: number }>('SELECT coalesce(sum(requests), 0)::int AS used FROM source_usage');
      expect(rows[0]!.used).toBe(seen);
      expect(seen).toBeLessThanOrEqual(budget);

      for (let i = 0; i < 3; i++) gc();
      heap.push(process.memoryUsage().heapUsed);
    }
    expect(seen).toBe(budget); // the last run used up the budget exactly, and stopped
    // Flat: after the first runs warm everything up, later runs retain nothing of their own.
    const growth = heap[3]! - heap[1]!;
    expect(growth).toBeLessThan(2 * 2 ** 20); // seen: about 0.5 MB
    console.info(`[upstream chaos] ${kind}, seed ${seed}: ${RUNS} runs × ${TICKERS.length} tickers, ${tally.requests} requests to the fake ` +
      `(budget ${budget}, all used), ${tally.faults} faulty answers served, final outcomes ${JSON.stringify(tally.byOutcome)}, ` +
      `heapUsed after GC per run (MB) ${heap.map((h) => (h / 2 ** 20).toFixed(1)).join(' ')}`);
  });
});
