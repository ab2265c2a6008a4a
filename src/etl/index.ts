// The ETL's parts wired from configuration: one rate limiter per process, shared by everything
// that calls Alpha Vantage (scheduler, API trigger, CLI).
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { makeRedactor, type Logger } from '../logger.ts';
import { AlphaVantage, type RetryPolicy } from './extract.ts';
import { EtlRunner } from './pipeline.ts';
import { RateLimiter } from './rate-limiter.ts';

export interface Etl {
  limiter: RateLimiter;
  alphaVantage: AlphaVantage;
  runner: EtlRunner;
}

export interface EtlOverrides {
  retry?: RetryPolicy;
  timeoutMs?: number;
  now?: () => Date;
}

export function createEtl(config: Config, db: Database, logger: Logger, overrides: EtlOverrides = {}): Etl {
  const redact = makeRedactor([config.alphaVantage.apiKey, config.apiKey]);
  const { requestsPerMinute: perMinute, requestsPerDay: perDay, minIntervalMs: minSpacingMs } = config.alphaVantage;
  const limiter = new RateLimiter({ db, perMinute, perDay, minSpacingMs });
  const alphaVantage = new AlphaVantage({
    baseUrl: config.alphaVantage.baseUrl, apiKey: config.alphaVantage.apiKey, redact,
    retry: overrides.retry, timeoutMs: overrides.timeoutMs,
  }, limiter);
  const runner = new EtlRunner({ db, logger, alphaVantage, redact, now: overrides.now });
  return { limiter, alphaVantage, runner };
}
