// The ETL's parts wired from configuration: the source, its rate limiter (one per process, shared by
// everything that calls it: scheduler, API trigger, CLI) and the runner.
import type { Config } from '../config.ts';
import type { Database } from '../db/driver/database.ts';
import { makeRedactor, type Logger } from '../logger.ts';
import { createSource } from '../sources/index.ts';
import type { Source } from '../sources/source.ts';
import { systemClock, type Clock, type RateLimiter } from './rate-limiter.ts';
import { EtlRunner, type RetryPolicy } from './runner.ts';

export interface Etl {
  source: Source;
  /** The source's request budget in this process. */
  limiter: RateLimiter;
  runner: EtlRunner;
  close(): Promise<void>;
}

interface EtlOverrides {
  retry?: RetryPolicy;
  timeoutMs?: number;
  clock?: Clock;
  /** A fixed or simulated "now", advanced by the waits, which are real (a shorthand for `clock`). */
  now?: () => Date;
}

export function createEtl(config: Config, db: Database, logger: Logger, overrides: EtlOverrides = {}): Etl {
  const redact = makeRedactor([config.alphaVantage.apiKey, config.apiKey]);
  const source = createSource('alpha_vantage', config, { logger, redact, timeoutMs: overrides.timeoutMs });
  const clock = overrides.clock ?? (overrides.now ? shiftedClock(overrides.now) : undefined);
  const runner = new EtlRunner({
    db, logger, source, redact, clock, retry: overrides.retry,
    settings: { recheckDays: config.etl.entitlementRecheckDays, actionsRefreshDays: config.etl.actionsRefreshDays, datasets: config.etl.datasets },
  });
  return { source, limiter: runner.limiterFor(source)!, runner, close: async () => { await source.close?.(); } };
}

/** `now()`'s time plus every wait so far: a fixed "now" still moves on while the ETL waits. */
function shiftedClock(now: () => Date): Clock {
  let waited = 0;
  return {
    now: () => now().getTime() + waited,
    sleep: async (ms, signal) => {
      await systemClock.sleep(ms, signal);
      waited += ms;
    },
  };
}
