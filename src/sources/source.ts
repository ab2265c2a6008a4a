// What the ETL runner needs from a data provider, in the runner's words only. A source says which
// datasets it can fetch, in which variants and at what cost in requests, and turns one request into
// rows or a failure whose effect the runner understands. The runner plans, paces, retries and
// records; it never sees a provider's message texts or failure kinds.

export const DATASETS = ['daily', 'weekly', 'monthly', 'splits', 'dividends'] as const;
export type Dataset = (typeof DATASETS)[number];

/** A bar as the source sent it: values unchecked, prices as the source wrote them. */
export interface RawRow { date: string; open: unknown; high: unknown; low: unknown; close: unknown; volume: unknown }
export interface RawSplit { ex_date: unknown; factor: unknown }
export interface RawDividend {
  ex_date: unknown;
  declaration_date: unknown;
  record_date: unknown;
  payment_date: unknown;
  amount: unknown;
}

/**
 * One way to fetch a dataset. `history: 'all'` answers with the whole history in one request;
 * a number is how many of the newest rows the answer holds. A variant that needs an entitlement
 * names it: the runner learns per account whether it is allowed and stops asking when it is not.
 */
export interface Variant {
  name: string;
  requests: number;
  history: 'all' | number;
  entitlement?: string;
}

export interface DatasetOffer {
  dataset: Dataset;
  /** Best first: the runner takes the first one the account is not known to be refused. */
  variants: Variant[];
}

export interface SourceLimits {
  perDay: number;
  perMinute: number;
  /** Least time between two requests (0: none). */
  minSpacingMs: number;
}

/**
 * What a failed request means for the run:
 * - refused: the account is not entitled to this variant (learned; the next variant is tried);
 * - quota: the provider's own daily quota is spent (the rest waits for tomorrow);
 * - credentials: the key is invalid (the run stops);
 * - not_found: the symbol is unknown (the ticker's other datasets are not asked for);
 * - rate_limited: asked too fast; `retryAfterMs` says how long to wait before one more try;
 * - transient: may pass if asked again (network, timeout, 5xx), retried with backoff;
 * - error: anything else; this dataset fails, the run goes on.
 */
export type FailureEffect = 'refused' | 'quota' | 'credentials' | 'not_found' | 'rate_limited' | 'transient' | 'error';

/** `reason` is for people: it names what happened (a limit, a refusal) and is already redacted. */
export interface SourceFailure { ok: false; effect: FailureEffect; reason: string; retryAfterMs?: number }

export type SourceData =
  | { ok: true; kind: 'bars'; rows: RawRow[]; duplicates: string[] }
  | { ok: true; kind: 'splits'; rows: RawSplit[] }
  | { ok: true; kind: 'dividends'; rows: RawDividend[] };

export type FetchResult = SourceData | SourceFailure;

export interface FetchRequest { ticker: string; dataset: Dataset; variant: Variant }

export interface Source {
  /** Recorded with runs, request budgets and entitlements (`alpha_vantage`, `csv:<file>`). */
  readonly name: string;
  /** Which credentials the entitlements are learned for: a hash, never the key itself. */
  readonly account: string;
  /** Request budget and pacing; undefined when requests cost nothing (a local file). */
  readonly limits?: SourceLimits;
  readonly offers: readonly DatasetOffer[];
  /** Exactly one request. Never rejects, except with the signal's reason when it aborts. */
  fetch(request: FetchRequest, signal?: AbortSignal): Promise<FetchResult>;
  /** Releases what the source holds (a worker thread, open files). */
  close?(): Promise<void>;
}

