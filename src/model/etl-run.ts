// An ETL run as the API lists it. Free of imports (and of runtime code) so that the dashboard
// (web/), which cannot import server modules, takes these types from here instead of a copy.
export type Trigger = 'schedule' | 'api' | 'cli';
export type RunStatus = 'running' | 'completed' | 'failed' | 'aborted';
export type TickerStatus = 'success' | 'skipped' | 'no_new_data' | 'failed' | 'deferred';

export interface RunSummary {
  run_id: number;
  trigger: Trigger;
  source: string;
  status: RunStatus;
  tickers: string[];
  force: boolean;
  incremental: boolean;
  started_at: string;
  finished_at: string | null;
  error: string | null;
  total_tickers: number;
  successful: number;
  failed: number;
  skipped: number;
  deferred: number;
  total_loaded: number;
}
