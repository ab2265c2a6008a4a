// The public /api/v1 endpoints the page uses, typed. Errors arrive as RFC 9457 problem details.
// The run types come from the server's import-free module (src/model/etl-run.ts), not a copy.
import type { RunStatus, RunSummary, TickerStatus } from '../../src/model/etl-run.ts';

export type { RunStatus, RunSummary, TickerStatus };

export type Interval = '1d' | '1w' | '1mo' | '1q' | '1y';
export type Adjustment = 'raw' | 'split' | 'total';

export interface Bar {
  /** Daily bars only. */
  id?: number;
  ticker: string;
  date: string;
  interval: Interval;
  adjustment: Adjustment;
  /** Made from shorter bars rather than stored as the source gave it. */
  derived: boolean;
  /** The stored close, when an adjustment changed the prices. */
  raw_close?: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  created_at: string;
  updated_at: string;
}

export interface BarPage { items: Bar[]; total: number; page: number; size: number; pages: number; next_cursor: string | null }

export interface TickerSummary {
  ticker: string;
  rows: number;
  first_date: string;
  last_date: string;
  close: number;
  previous_close: number | null;
  updated_at: string;
  fetched_at: string | null;
}

export type QualityStatus = 'ok' | 'warning' | 'error';

export interface TickerQuality {
  ticker: string; first_date: string; last_date: string; from_date: string; to_date: string;
  expected: number; stored: number; missing: number; sessions_behind: number; stale: boolean;
  non_session: number; possible_split: number; unit_error: number; zero_volume: number; provisional: number;
  status: QualityStatus;
}

export interface QualityFinding { kind: string; date: string; reason: string }

export interface Health { status: 'healthy' | 'unhealthy'; database: 'healthy' | 'unhealthy'; version: string; timestamp: string }

export type Dataset = 'daily' | 'weekly' | 'monthly' | 'splits' | 'dividends';

export interface Entitlement { dataset: Dataset; variant: string; status: 'allowed' | 'refused' | 'unknown'; checked_at: string | null; reason: string | null }

export interface EtlStatus {
  running: boolean;
  current_run_id: number | null;
  schedule: { enabled: boolean; interval_minutes: number; next_run_at: string | null; tickers: string[]; datasets: Dataset[] };
  budget: { requests_per_day: number; requests_per_minute: number; remaining_today: number };
  entitlements: Entitlement[];
}

export interface Plan {
  budget: { per_day: number; used_today: number; remaining_today: number } | null;
  requests: number;
  days_needed: number | null;
  tickers: { ticker: string; requests: number; datasets: { dataset: Dataset; requests: number; reason: string }[] }[];
}

export interface TickerOutcome {
  ticker: string;
  status: TickerStatus;
  requests: number;
  loaded: number;
  inserted: number;
  updated: number;
  rejected: number;
  rejections: { date: string; reason: string }[];
  reason: string | null;
  datasets: { dataset: Dataset; status: TickerStatus; requests: number; inserted: number; updated: number; reason: string | null }[];
}

export interface RunDetail extends RunSummary { progress: { done: number; total: number }; details: TickerOutcome[] }

export interface Problem { status: number; title: string; detail: string; errors?: { field: string; message: string }[] }

export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Problem | undefined) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  if (!res.ok) {
    let problem: Problem | undefined;
    try {
      problem = (await res.json()) as Problem;
    } catch {
      problem = undefined;
    }
    throw new ApiError(res.status, problem);
  }
  return (await res.json()) as T;
}

export interface BarQuery {
  ticker: string; start: string; end: string; order: 'asc' | 'desc'; interval?: Interval; adjustment?: Adjustment;
  size?: number; page?: number; cursor?: string;
}

export interface CorporateActions {
  ticker: string;
  splits: { ex_date: string; factor: number }[];
  dividends: { ex_date: string; amount: number; declaration_date: string | null; record_date: string | null; payment_date: string | null }[];
}

export function barQueryString(q: Omit<BarQuery, 'size' | 'page' | 'cursor'> & Partial<BarQuery>): string {
  const params = new URLSearchParams({ ticker: q.ticker, start_date: q.start, end_date: q.end, order: q.order });
  if (q.interval && q.interval !== '1d') params.set('interval', q.interval);
  if (q.adjustment && q.adjustment !== 'raw') params.set('adjustment', q.adjustment);
  if (q.size !== undefined) params.set('size', String(q.size));
  if (q.cursor) params.set('cursor', q.cursor);
  else if (q.page !== undefined && q.page > 1) params.set('page', String(q.page));
  return params.toString();
}

export const api = {
  health: (): Promise<Health> =>
    // 503 still carries the body that says what is down.
    fetch('/api/v1/health', { headers: { accept: 'application/json' } }).then((r) => r.json() as Promise<Health>),
  tickerSummaries: (): Promise<TickerSummary[]> => request('/api/v1/ticker-summaries'),
  bars: (q: BarQuery, signal?: AbortSignal): Promise<BarPage> => request(`/api/v1/market-data?${barQueryString(q)}`, { signal }),
  exportUrl: (q: Omit<BarQuery, 'size' | 'page' | 'cursor'>): string => `/api/v1/market-data/export?${barQueryString(q)}`,
  etlStatus: (): Promise<EtlStatus> => request('/api/v1/etl/status'),
  etlRuns: (size: number): Promise<{ items: RunSummary[]; total: number }> => request(`/api/v1/etl/runs?size=${size}`),
  etlRun: (id: number): Promise<RunDetail> => request(`/api/v1/etl/runs/${id}`),
  etlPlan: (): Promise<Plan> => request('/api/v1/etl/plan'),
  quality: (): Promise<{ latest_session: string; tickers: TickerQuality[] }> => request('/api/v1/quality'),
  tickerQuality: (ticker: string): Promise<TickerQuality & { latest_session: string; findings: QualityFinding[] }> =>
    request(`/api/v1/quality/${encodeURIComponent(ticker)}`),
  corporateActions: (ticker: string): Promise<CorporateActions> => request(`/api/v1/tickers/${encodeURIComponent(ticker)}/corporate-actions`),
  /** Starts a run and answers at once (202): the run's progress is read from etlRun. */
  startEtl: (apiKey: string | undefined): Promise<{ run_id: number; status: 'running' }> =>
    request('/api/v1/etl/run', { method: 'POST', headers: { prefer: 'respond-async', ...(apiKey ? { 'x-api-key': apiKey } : {}) } }),
};

/** The largest page the server accepts is configurable: ask for 1000 and settle for its default. */
let bulkSize: number | undefined = 1000;

/** Every bar of one ticker in [start, end] at an interval, oldest first, through keyset pages. */
export async function allBars(q: { ticker: string; start: string; end: string; interval: Interval; adjustment: Adjustment }, signal?: AbortSignal): Promise<Bar[]> {
  const { ticker, start, end, interval, adjustment } = q;
  const bars: Bar[] = [];
  let cursor: string | undefined;
  for (;;) {
    let page: BarPage;
    try {
      page = await api.bars({ ticker, start, end, order: 'asc', interval, adjustment, size: bulkSize, cursor }, signal);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && bulkSize !== undefined && err.problem?.errors?.some((e) => e.field === 'size')) {
        bulkSize = undefined;
        continue;
      }
      throw err;
    }
    bars.push(...page.items);
    if (!page.next_cursor) return bars;
    cursor = page.next_cursor;
  }
}
