// Data quality on the dashboard: a badge per ticker in the list (from GET /quality) and the
// selected ticker's findings (GET /quality/{ticker}) in their own panel.
import { api, type QualityStatus, type TickerQuality } from './api.ts';
import { $, h } from './dom.ts';
import * as fmt from './format.ts';

const LABELS: Record<QualityStatus, string> = { ok: 'OK', warning: 'Check', error: 'Gaps' };
const KIND_NAMES: Record<string, string> = {
  missing: 'Missing session', non_session: 'Bar on a closed day', possible_split: 'Possible missing split',
  unit_error: 'Possible unit error', zero_volume: 'Zero volume', provisional: 'Provisional',
};
/** Findings listed at most; the rest are counted (the API has them all). */
const SHOWN = 50;

/** What the badge says about a ticker: its status and, in its title, what made it so. */
function describe(q: TickerQuality): string {
  const parts = [
    q.missing && `${fmt.count(q.missing)} missing sessions`, q.stale && `${q.sessions_behind} sessions behind`,
    q.possible_split && `${q.possible_split} possible missing splits`, q.unit_error && `${q.unit_error} possible unit errors`,
    q.non_session && `${q.non_session} bars on closed days`, q.zero_volume && `${q.zero_volume} zero-volume sessions`,
    q.provisional && `${q.provisional} provisional bars`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : `complete: ${fmt.count(q.stored)} of ${fmt.count(q.expected)} sessions`;
}

export class QualityView {
  private byTicker = new Map<string, TickerQuality>();
  private shown: string | undefined;

  /** Reads every ticker's status; the list is drawn again when it arrives. */
  async refresh(): Promise<void> {
    const report = await api.quality();
    this.byTicker = new Map(report.tickers.map((t) => [t.ticker, t]));
  }

  badge(ticker: string): HTMLElement | undefined {
    const q = this.byTicker.get(ticker);
    if (!q) return undefined;
    return h('span', { class: 'quality-badge', 'data-status': q.status, title: describe(q) }, LABELS[q.status]);
  }

  /** The findings panel for one ticker. */
  async show(ticker: string): Promise<void> {
    this.shown = ticker;
    const panel = $('quality');
    panel.dataset.state = 'loading';
    try {
      const q = await api.tickerQuality(ticker);
      if (this.shown !== ticker) return;
      $('quality-title').textContent = `Data quality of ${ticker}`;
      $('quality-status').replaceChildren(h('span', { class: 'quality-badge', 'data-status': q.status }, LABELS[q.status]));
      $('quality-summary').textContent = `${fmt.count(q.stored)} of ${fmt.count(q.expected)} sessions stored from ${fmt.date(q.from_date)} to ${fmt.date(q.to_date)}` +
        ` · ${q.stale ? `stale: ${q.sessions_behind} sessions behind` : 'current'} (latest published ${fmt.date(q.latest_session)})`;
      $('quality-findings').replaceChildren(...q.findings.slice(0, SHOWN).map((f) =>
        h('li', { 'data-kind': f.kind, 'data-date': f.date }, h('b', {}, `${KIND_NAMES[f.kind] ?? f.kind} `), h('time', { datetime: f.date }, fmt.date(f.date)), ` — ${f.reason}`)));
      const more = $('quality-more');
      more.hidden = q.findings.length <= SHOWN;
      more.textContent = `and ${fmt.count(q.findings.length - SHOWN)} more (GET /api/v1/quality/${ticker})`;
      $('quality-empty').hidden = q.findings.length > 0;
      panel.dataset.state = 'ready';
    } catch {
      if (this.shown === ticker) panel.dataset.state = 'error';
    }
  }
}
