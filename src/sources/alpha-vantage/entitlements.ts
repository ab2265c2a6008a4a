// What an Alpha Vantage failure means for the run (the runner's generic effects), and the account
// that entitlements are learned for. The account is a hash of the key: the key itself is never
// stored, and a new key starts with nothing known.
import crypto from 'node:crypto';
import type { FailureEffect, SourceFailure } from '../source.ts';
import type { Failure, FailureKind } from './classify.ts';

export const FREE_KEY_HELP = 'get a free key in 20 seconds at https://www.alphavantage.co/support/#api-key and set ALPHA_VANTAGE_API_KEY';

/** How long a per-minute note is waited out: the whole window, after which it has surely cleared. */
const MINUTE_WINDOW_MS = 60_000;
/** A burst note asks for about one request per second. */
const BURST_PAUSE_MS = 2_000;

const RULES: Record<FailureKind, { effect: FailureEffect; label: string }> = {
  empty: { effect: 'not_found', label: 'no data' },
  invalid_symbol: { effect: 'not_found', label: 'invalid symbol' },
  invalid_key: { effect: 'credentials', label: 'invalid API key' },
  demo_key: { effect: 'error', label: 'demo key refused' },
  premium: { effect: 'refused', label: 'premium only' },
  daily_limit: { effect: 'quota', label: "Alpha Vantage's daily limit" },
  minute_limit: { effect: 'rate_limited', label: 'per-minute limit' },
  burst_limit: { effect: 'rate_limited', label: 'burst limit (about 1 request per second)' },
  http_error: { effect: 'transient', label: 'HTTP error' },
  timeout: { effect: 'transient', label: 'timeout' },
  network: { effect: 'transient', label: 'network error' },
  too_large: { effect: 'error', label: 'answer too large' },
  malformed: { effect: 'error', label: 'malformed response' },
  missing_series: { effect: 'error', label: 'unexpected response' },
};

export function failureOf(outcome: Failure): SourceFailure {
  const { effect, label } = RULES[outcome.kind];
  const reason = `${label}: ${outcome.message}`;
  // A 4xx other than 429 will not pass by asking again.
  if (outcome.kind === 'http_error' && /^HTTP 4/.test(outcome.message)) return { ok: false, effect: 'error', reason };
  if (outcome.kind === 'minute_limit') return { ok: false, effect, reason, retryAfterMs: MINUTE_WINDOW_MS };
  if (outcome.kind === 'burst_limit') return { ok: false, effect, reason, retryAfterMs: BURST_PAUSE_MS };
  if (outcome.kind === 'demo_key') return { ok: false, effect, reason: `${reason} — ${FREE_KEY_HELP}` };
  if (outcome.kind === 'invalid_key') return { ok: false, effect, reason: `${reason} — ALPHA_VANTAGE_API_KEY is invalid or missing: ${FREE_KEY_HELP}` };
  return { ok: false, effect, reason };
}

export function accountOf(apiKey: string): string {
  return crypto.createHash('sha256').update(`alpha_vantage:${apiKey}`).digest('hex').slice(0, 16);
}
