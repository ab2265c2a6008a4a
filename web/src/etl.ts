// The pipeline panel: today's Alpha Vantage budget, the next scheduled run, the work still to fetch
// (the plan: requests and days), what the key may fetch, recent runs with each ticker's outcome, and
// "Run now" — started asynchronously, its progress shown live. When the server wants an API key, a
// 401 says so: the page asks for it and keeps it in memory (or, if asked to, in sessionStorage:
// gone when the tab closes).
import { api, ApiError, type EtlStatus, type Plan, type RunDetail, type RunSummary, type TickerOutcome } from './api.ts';
import { $, h, toast } from './dom.ts';
import * as fmt from './format.ts';

const KEY_STORAGE = 'market-data.api-key';
const RUNS_SHOWN = 8;
const PROGRESS_POLL_MS = 1000;

const RUN_BADGE: Record<RunSummary['status'], [string, string]> = {
  running: ['running', 'info'], completed: ['completed', 'ok'], failed: ['failed', 'bad'], aborted: ['aborted', 'warn'],
};
const TICKER_BADGE: Record<TickerOutcome['status'], [string, string]> = {
  success: ['loaded', 'ok'], no_new_data: ['up to date', 'info'], skipped: ['skipped', 'warn'], failed: ['failed', 'bad'], deferred: ['deferred', 'warn'],
};
const VARIANT_NAMES: Record<string, string> = { full: 'whole history', compact: 'newest 100', all: 'all' };
const badge = ([text, kind]: [string, string]) => h('span', { class: `badge ${kind}` }, text);

function outcomeNote(d: TickerOutcome): string {
  const parts: string[] = [];
  if (d.reason) parts.push(d.reason);
  if (d.rejected) parts.push(`${fmt.count(d.rejected)} rejected${d.rejections[0] ? ` (${d.rejections[0].date}: ${d.rejections[0].reason})` : ''}`);
  if (!parts.length && d.status === 'success') parts.push(`${fmt.count(d.inserted)} new, ${fmt.count(d.updated)} changed`);
  return parts.join('; ');
}

export class EtlPanel {
  private apiKey: string | undefined = sessionStorage.getItem(KEY_STORAGE) ?? undefined;
  private readonly details = new Map<number, RunDetail>(); // finished runs never change: fetched once
  private readonly expanded = new Set<number>();
  private newestSeen: number | undefined;
  private signature = '';
  private running = false;
  private readonly button = $<HTMLButtonElement>('run-now');

  constructor(private readonly onRunFinished: () => void) {
    this.button.addEventListener('click', () => void this.runNow());
  }

  async refresh(): Promise<void> {
    const [status, runs, plan] = await Promise.all([api.etlStatus(), api.etlRuns(RUNS_SHOWN), api.etlPlan()]);
    this.renderStatus(status);
    this.renderPlan(plan);
    const newest = runs.items[0];
    // The newest run opens by itself, once: later the reader decides what stays open.
    if (newest && newest.run_id !== this.newestSeen) {
      this.newestSeen = newest.run_id;
      this.expanded.add(newest.run_id);
    }
    await Promise.all(runs.items.filter((r) => this.expanded.has(r.run_id)).map((r) => this.detail(r)));
    this.renderRuns(runs.items);
  }

  private async detail(run: RunSummary): Promise<RunDetail> {
    const cached = this.details.get(run.run_id);
    if (cached && cached.status === run.status) return cached;
    const detail = await api.etlRun(run.run_id);
    this.details.set(run.run_id, detail);
    return detail;
  }

  private renderStatus(s: EtlStatus): void {
    const { remaining_today: left, requests_per_day: perDay } = s.budget;
    $('budget-value').textContent = fmt.count(left);
    $('budget-note').textContent = `of ${fmt.count(perDay)} requests left today`;
    const meter = $<HTMLMeterElement>('budget-meter');
    meter.max = Math.max(perDay, 1);
    meter.value = left;
    meter.low = perDay * 0.2;
    meter.optimum = perDay;
    const next = s.schedule.next_run_at;
    $('next-run-value').textContent = !s.schedule.enabled ? 'Off' : next ? fmt.clock(next) : 'Pending';
    $('next-run-note').textContent = !s.schedule.enabled
      ? 'ETL_ENABLED is false'
      : `${next ? `${fmt.ago(next)} · ` : ''}every ${s.schedule.interval_minutes} min`;
    $('etl-state-value').textContent = s.running ? 'Running' : 'Idle';
    $('etl-state-note').textContent = s.running && s.current_run_id ? `run #${s.current_run_id}` : s.schedule.tickers.join(', ');
    this.button.title = `Fetch ${s.schedule.tickers.join(', ')} from Alpha Vantage now`;
    $('entitlements').replaceChildren(...s.entitlements.map((e) => h('li', { 'data-entitlement': `${e.dataset}:${e.variant}` },
      badge(e.status === 'allowed' ? ['allowed', 'ok'] : e.status === 'refused' ? ['refused', 'bad'] : ['not asked yet', '']),
      h('span', {}, `${e.dataset}${e.variant === 'all' || (e.variant === 'full' && e.dataset !== 'daily') ? '' : ` (${VARIANT_NAMES[e.variant] ?? e.variant})`}`),
      e.checked_at ? h('time', { class: 'stat-note', datetime: e.checked_at, title: fmt.timestamp(e.checked_at) }, fmt.ago(e.checked_at)) : null,
      e.reason ? h('span', { class: 'reason' }, e.reason) : null)));
  }

  private renderPlan(p: Plan): void {
    $('plan-value').textContent = p.requests ? `${fmt.count(p.requests)} req.` : 'Up to date';
    $('plan-note').textContent = !p.requests ? 'nothing due for the default tickers'
      : p.days_needed === null ? 'more than the daily budget can ever fetch'
        : p.days_needed <= 1 ? 'fits in today\'s budget' : `about ${p.days_needed} days at the daily budget`;
  }

  private renderRuns(runs: RunSummary[]): void {
    const signature = JSON.stringify([runs, [...this.expanded].map((id) => this.details.get(id))]);
    if (signature === this.signature) return; // unchanged: keep the DOM (and the reader's focus) as it is
    this.signature = signature;
    const list = $('runs');
    const focused = document.activeElement?.closest<HTMLElement>('[data-run]')?.dataset.run;
    list.replaceChildren(...runs.map((run) => this.runItem(run)));
    $('runs-empty').hidden = runs.length > 0;
    if (focused) list.querySelector<HTMLElement>(`[data-run="${focused}"] summary`)?.focus();
  }

  private runItem(run: RunSummary): HTMLLIElement {
    const took = run.finished_at ? fmt.duration(new Date(run.finished_at).getTime() - new Date(run.started_at).getTime()) : 'running';
    const summary = h('summary', {},
      badge(RUN_BADGE[run.status]),
      h('span', { class: 'run-title' }, `Run #${run.run_id}`),
      h('time', { class: 'run-when', datetime: run.started_at, title: fmt.timestamp(run.started_at) }, fmt.ago(run.started_at)),
      h('span', { class: 'run-meta' },
        `${run.trigger} · ${fmt.count(run.total_tickers)} ticker${run.total_tickers === 1 ? '' : 's'} · ` +
        `${fmt.count(run.total_loaded)} rows loaded${run.failed ? ` · ${run.failed} failed` : ''} · ${took}`));
    const details = h('details', { open: this.expanded.has(run.run_id) }, summary);
    details.addEventListener('toggle', () => {
      if (details.open) {
        this.expanded.add(run.run_id);
        if (!details.querySelector('.run-body')) void this.detail(run).then((d) => details.append(this.runBody(d)), () => undefined);
      } else {
        this.expanded.delete(run.run_id);
      }
    });
    const known = this.details.get(run.run_id);
    if (details.open && known) details.append(this.runBody(known));
    return h('li', { class: 'run', 'data-run': String(run.run_id) }, details);
  }

  private runBody(run: RunDetail): HTMLElement {
    // A ticker's reason gets a full-width row of its own: Alpha Vantage's messages are long.
    const rows = run.details.flatMap((d) => {
      const note = outcomeNote(d);
      return [
        h('tr', { 'data-ticker': d.ticker, class: note ? 'has-note' : undefined },
          h('td', {}, h('b', {}, d.ticker)),
          h('td', {}, badge(TICKER_BADGE[d.status])),
          h('td', { class: 'num' }, `${fmt.count(d.loaded)} rows`),
          h('td', { class: 'num' }, `${fmt.count(d.requests)} req.`)),
        note ? h('tr', { class: 'note', 'data-ticker-note': d.ticker }, h('td', { colspan: '4', class: 'reason' }, note)) : null,
      ].filter((row): row is HTMLTableRowElement => row !== null);
    });
    const pending = run.status === 'running' ? run.tickers.slice(run.details.length) : [];
    for (const ticker of pending) {
      rows.push(h('tr', {}, h('td', {}, h('b', {}, ticker)), h('td', {}, badge(['waiting', ''])), h('td', {}), h('td', {})));
    }
    return h('div', { class: 'run-body' },
      run.error ? h('p', { class: 'run-error' }, run.error) : null,
      h('table', { class: 'outcomes' },
        h('caption', { class: 'visually-hidden' }, `Outcome per ticker of run ${run.run_id}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Ticker'), h('th', { scope: 'col' }, 'Outcome'),
          h('th', { scope: 'col', class: 'num' }, 'Loaded'), h('th', { scope: 'col', class: 'num' }, 'Requests'))),
        h('tbody', {}, ...rows)));
  }

  private async runNow(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.button.setAttribute('aria-busy', 'true');
    this.button.disabled = true;
    this.button.querySelector('span')!.textContent = 'Running…';
    try {
      let started: { run_id: number } | undefined;
      for (let attempt = 0; attempt < 3 && !started; attempt++) {
        try {
          started = await api.startEtl(this.apiKey);
        } catch (err) {
          if (!(err instanceof ApiError) || err.status !== 401) throw err;
          const wrong = this.apiKey !== undefined;
          this.forgetKey();
          this.apiKey = await askForKey(wrong ? 'That key was not accepted.' : undefined);
          if (this.apiKey === undefined) return;
        }
      }
      if (!started) return;
      const run = await this.follow(started.run_id);
      toast(`Run #${run.run_id} ${run.status}: ${fmt.count(run.total_loaded)} rows loaded` +
        (run.failed ? `, ${run.failed} ticker${run.failed === 1 ? '' : 's'} failed` : '') +
        (run.deferred ? `, ${run.deferred} deferred to tomorrow's budget` : ''), run.status === 'completed' ? 'info' : 'error');
      this.onRunFinished();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) toast('A run is already in progress; it shows below.', 'error');
      else toast(`The run could not start: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      this.running = false;
      this.button.removeAttribute('aria-busy');
      this.button.disabled = false;
      this.button.querySelector('span')!.textContent = 'Run now';
      $('run-progress').hidden = true;
      await this.refresh().catch(() => undefined);
    }
  }

  /** Shows a started run's progress and its tickers as they finish, until it ends. */
  private async follow(runId: number): Promise<RunDetail> {
    this.expanded.add(runId);
    const box = $('run-progress');
    const bar = $<HTMLProgressElement>('run-progress-bar');
    $('run-progress-label').textContent = `Run #${runId} in progress`;
    box.hidden = false;
    for (;;) {
      const run = await api.etlRun(runId);
      this.details.set(run.run_id, run);
      bar.max = Math.max(run.progress.total, 1);
      bar.value = run.progress.done;
      const requests = run.details.reduce((n, d) => n + d.requests, 0);
      $('run-progress-note').textContent = `${fmt.count(run.progress.done)} of ${fmt.count(run.progress.total)} datasets · ${fmt.count(requests)} requests`;
      await this.refresh().catch(() => undefined);
      if (run.status !== 'running') return run;
      await new Promise((resolve) => window.setTimeout(resolve, PROGRESS_POLL_MS));
    }
  }

  private forgetKey(): void {
    this.apiKey = undefined;
    sessionStorage.removeItem(KEY_STORAGE);
  }
}

/** Opens the key dialog; resolves with the key, or undefined when cancelled. */
function askForKey(error?: string): Promise<string | undefined> {
  const dialog = $<HTMLDialogElement>('key-dialog');
  const form = $<HTMLFormElement>('key-form');
  const input = $<HTMLInputElement>('key-input');
  const remember = $<HTMLInputElement>('key-remember');
  const message = $('key-error');
  message.textContent = error ?? '';
  message.hidden = !error;
  input.value = '';
  return new Promise((resolve) => {
    const done = (key: string | undefined) => {
      form.removeEventListener('submit', submit);
      $('key-cancel').removeEventListener('click', cancel);
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      resolve(key);
    };
    const submit = (event: SubmitEvent) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      if (remember.checked) sessionStorage.setItem(KEY_STORAGE, key);
      done(key);
    };
    const cancel = () => done(undefined);
    form.addEventListener('submit', submit);
    $('key-cancel').addEventListener('click', cancel);
    dialog.addEventListener('cancel', cancel);
    dialog.showModal();
    input.focus();
  });
}
