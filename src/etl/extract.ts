// TIME_SERIES_DAILY from Alpha Vantage through the shared rate limiter, with bounded retries of
// the outcomes that may pass (5xx, network, timeout, burst and per-minute limits). The key travels
// in the query string, so the URL is never logged, and every message that leaves here is redacted.
import { setImmediate as nextTurn } from 'node:timers/promises';
import pRetry from 'p-retry';
import { recordAlphaVantageRequest } from '../metrics.ts';
import { classifyResponse, isTransient, type Outcome } from './classify.ts';
import type { OutputSize } from './freshness.ts';
import { BudgetExhaustedError, systemClock, type RateLimiter } from './rate-limiter.ts';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Extra pause after a per-minute limit answer, for Alpha Vantage's window to pass. */
  minuteLimitDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, minDelayMs: 2000, maxDelayMs: 30_000, minuteLimitDelayMs: 60_000 };

export interface AlphaVantageOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  retry?: RetryPolicy;
  redact: (text: string) => string;
}

export type Extracted = { outcome: Outcome | { kind: 'budget_exhausted'; message: string }; requests: number };

class TransientOutcome extends Error {
  constructor(readonly outcome: Exclude<Outcome, { kind: 'data' }>) {
    super(outcome.message);
  }
}

export class AlphaVantage {
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: AlphaVantageOptions, private readonly limiter: RateLimiter) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  /** One request, classified. Rejects only when `signal` aborts it. */
  async fetchOnce(symbol: string, outputSize: OutputSize, signal?: AbortSignal): Promise<Outcome> {
    const url = new URL(this.options.baseUrl);
    url.search = new URLSearchParams({
      function: 'TIME_SERIES_DAILY', symbol, outputsize: outputSize, datatype: 'json', apikey: this.options.apiKey,
    }).toString();
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await fetch(url, { signal: signal ? AbortSignal.any([timeout, signal]) : timeout, headers: { accept: 'application/json' } });
      const text = await res.text();
      // Receiving ~1 MB and parsing it are two long steps on the thread that also serves the API.
      await nextTurn();
      return this.redacted(classifyResponse(res.status, text));
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) return { kind: 'timeout', message: `no answer within ${this.timeoutMs / 1000} s` };
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return this.redacted({ kind: 'network', message: cause?.message || cause?.code || (err as Error).message });
    }
  }

  /** The daily series, retrying what may pass; never rejects but for an abort. */
  async fetchDaily(symbol: string, outputSize: OutputSize, signal?: AbortSignal): Promise<Extracted> {
    let requests = 0;
    try {
      const outcome = await pRetry(async () => {
        await this.limiter.acquire(signal);
        requests++;
        const outcome = await this.fetchOnce(symbol, outputSize, signal);
        recordAlphaVantageRequest(outcome.kind);
        if (outcome.kind !== 'data' && isTransient(outcome)) throw new TransientOutcome(outcome);
        return outcome;
      }, {
        retries: this.retry.retries,
        minTimeout: this.retry.minDelayMs,
        maxTimeout: this.retry.maxDelayMs,
        factor: 2,
        randomize: true, // jitter: replicas and retries do not fall into step
        signal,
        shouldRetry: ({ error }) => error instanceof TransientOutcome,
        onFailedAttempt: async ({ error }) => {
          if (error instanceof TransientOutcome && error.outcome.kind === 'minute_limit') {
            await systemClock.sleep(this.retry.minuteLimitDelayMs, signal);
          }
        },
      });
      return { outcome, requests };
    } catch (err) {
      if (err instanceof TransientOutcome) {
        const tries = requests === 1 ? '1 attempt' : `${requests} attempts`;
        return { outcome: { ...err.outcome, message: `${err.outcome.message} (gave up after ${tries})` }, requests };
      }
      if (err instanceof BudgetExhaustedError) return { outcome: { kind: 'budget_exhausted', message: err.message }, requests };
      throw err;
    }
  }

  private redacted(outcome: Outcome): Outcome {
    return outcome.kind === 'data' ? outcome : { ...outcome, message: this.options.redact(outcome.message) };
  }
}
