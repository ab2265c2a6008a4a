// What the CLI commands print: a line per ticker as it finishes, and a summary table at the end.
import type { RunDetail, TickerResult } from '../db/repositories/etl-runs.ts';

type Result = Omit<TickerResult, 'finished_at'>;

export function tickerLine(r: Result): string {
  const counts = r.status === 'success' || r.status === 'no_new_data' || r.status === 'deferred'
    ? ` ${r.extracted} fetched, ${r.inserted} new, ${r.updated} changed, ${r.unchanged} unchanged, ${r.rejected} rejected`
    : '';
  return `${r.ticker.padEnd(8)} ${r.status.padEnd(11)}${counts}${r.reason ? ` — ${r.reason}` : ''}`;
}

const COLUMNS = ['ticker', 'status', 'size', 'requests', 'fetched', 'new', 'changed', 'unchanged', 'rejected'] as const;

export function summaryTable(run: RunDetail): string {
  const rows = run.details.map((d) => [
    d.ticker, d.status, d.output_size ?? '-', String(d.requests), String(d.extracted),
    String(d.inserted), String(d.updated), String(d.unchanged), String(d.rejected),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [
    line(COLUMNS),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    `run ${run.run_id} ${run.status}: ${run.successful} ok, ${run.failed} failed, ${run.skipped} skipped, ` +
      `${run.deferred} deferred, ${run.total_loaded} rows loaded, ${run.details.reduce((n, d) => n + d.requests, 0)} requests` +
      (run.error ? `\n${run.error}` : ''),
  ].join('\n');
}
