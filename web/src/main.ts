// The dashboard: what is stored (tickers, chart, table, CSV) and what the pipeline is doing.
// Talks only to this server's /api/v1; every asset is bundled by Vite.
import './styles.css';
import { allBars, api, type Adjustment, type Bar, type CorporateActions, type Interval, type TickerSummary } from './api.ts';
import { PriceChart, paletteFromCss } from './chart.ts';
import { $, h, toast } from './dom.ts';
import { EtlPanel } from './etl.ts';
import * as fmt from './format.ts';
import { QualityView } from './quality.ts';
import { BarsTable, type Range } from './table.ts';
import { setUpTheme } from './theme.ts';

// The first request goes out before anything else is set up: the chart waits on it.
const firstTickers = api.tickerSummaries();

type Preset = '1M' | '6M' | '1Y' | '5Y' | 'ALL';
const PRESET_MONTHS: Record<Exclude<Preset, 'ALL'>, number> = { '1M': 1, '6M': 6, '1Y': 12, '5Y': 60 };
const isPreset = (v: string | null): v is Preset => v !== null && (v === 'ALL' || v in PRESET_MONTHS);
const INTERVAL_NAMES: Record<Interval, string> = { '1d': 'Daily', '1w': 'Weekly', '1mo': 'Monthly', '1q': 'Quarterly', '1y': 'Yearly' };
const ADJUSTMENT_NAMES: Record<Adjustment, string> = { raw: '', split: ', split-adjusted', total: ', adjusted for splits and dividends' };
const isInterval = (v: string | null | undefined): v is Interval => v !== null && v !== undefined && v in INTERVAL_NAMES;
const isAdjustment = (v: string | null | undefined): v is Adjustment => v === 'raw' || v === 'split' || v === 'total';

const state: {
  tickers: TickerSummary[]; selected: TickerSummary | undefined; preset: Preset | undefined; range: Range | undefined;
  interval: Interval; adjustment: Adjustment;
} = { tickers: [], selected: undefined, preset: '1Y', range: undefined, interval: '1d', adjustment: 'raw' };
/** The bars last fetched for the chart: a narrower range of the same ticker, interval and adjustment is cut from them. */
let loaded: Range & { bars: Bar[] } | undefined;
/** The selected ticker's splits and dividends (marked on the chart). */
let actions: CorporateActions | undefined;
let chartRequest: AbortController | undefined;

const reportError = (err: unknown) => toast(err instanceof Error ? err.message : String(err), 'error');

// The saved theme first: the chart takes its colours from the page's when it is created.
setUpTheme(() => chart.applyPalette(paletteFromCss()));
const chart = new PriceChart($('chart'), showLegend);
const table = new BarsTable(reportError);
const quality = new QualityView();
const etl = new EtlPanel(() => {
  loaded = undefined; // the run may have changed the shown bars
  // Bars may have arrived: a preset is recomputed from the ticker's new last date, a free range kept.
  void loadQuality();
  void loadTickers().then(() => {
    if (state.selected && state.range) select(state.selected.ticker, state.preset ? undefined : state.range);
  });
});

// ---- health ----
async function refreshHealth(): Promise<void> {
  const el = $('health');
  try {
    const health = await api.health();
    el.dataset.state = health.database;
    $('health-text').replaceChildren(h('span', { class: 'health-label' }, 'Database '), health.database === 'healthy' ? 'healthy' : 'unavailable');
    el.title = `Checked ${fmt.timestamp(health.timestamp)}`;
    $('footer-version').textContent = `Market data service v${health.version}`;
  } catch {
    el.dataset.state = 'unhealthy';
    $('health-text').textContent = 'Service unreachable';
  }
}

// ---- quality: badges in the list, findings of the selected ticker ----
async function loadQuality(): Promise<void> {
  try {
    await quality.refresh();
    renderTickers();
    if (state.selected) void quality.show(state.selected.ticker);
  } catch {
    // The list works without badges.
  }
}

// ---- tickers ----
async function loadTickers(pending = api.tickerSummaries()): Promise<void> {
  state.tickers = await pending;
  if (state.selected) state.selected = state.tickers.find((t) => t.ticker === state.selected!.ticker) ?? state.selected;
  renderTickers();
}

function renderTickers(): void {
  const query = $<HTMLInputElement>('ticker-search').value.trim().toUpperCase();
  const shown = state.tickers.filter((t) => t.ticker.includes(query));
  $('ticker-count').textContent = query ? `${shown.length} of ${state.tickers.length}` : String(state.tickers.length);
  const empty = $('ticker-empty');
  empty.hidden = shown.length > 0;
  empty.textContent = state.tickers.length ? `No ticker matches “${query}”.` : 'Nothing stored yet: “Run now” fetches the configured tickers.';
  $('ticker-list').replaceChildren(...shown.map((t) => {
    const move = t.previous_close ? t.close / t.previous_close - 1 : 0;
    const button = h('button', { type: 'button', class: 'ticker', 'data-ticker': t.ticker, 'aria-current': String(t.ticker === state.selected?.ticker) },
      h('span', { class: 'ticker-symbol' }, t.ticker, quality.badge(t.ticker)),
      h('span', { class: 'ticker-price' }, fmt.price(t.close)),
      h('span', { class: 'ticker-meta', title: `${fmt.date(t.first_date)} – ${fmt.date(t.last_date)}` }, `${fmt.monthYear(t.first_date)} – ${fmt.monthYear(t.last_date)}`),
      h('span', { class: `ticker-change ${move > 0 ? 'up' : move < 0 ? 'down' : ''}` }, t.previous_close ? fmt.change(move) : ''),
      h('span', { class: 'ticker-meta wide' }, `${fmt.count(t.rows)} bars · updated ${fmt.ago(t.fetched_at ?? t.updated_at)}`));
    button.addEventListener('click', () => select(t.ticker));
    return h('li', {}, button);
  }));
}

$('ticker-search').addEventListener('input', renderTickers);
$('ticker-search').addEventListener('keydown', (event) => {
  if (event.key !== 'Enter') return;
  const first = $('ticker-list').querySelector<HTMLButtonElement>('button');
  first?.click();
});

// ---- selection and range ----
function presetRange(t: TickerSummary, preset: Preset): Range {
  const start = preset === 'ALL' ? t.first_date : fmt.addMonths(t.last_date, -PRESET_MONTHS[preset]);
  return { ticker: t.ticker, start: start < t.first_date ? t.first_date : start, end: t.last_date, interval: state.interval, adjustment: state.adjustment };
}

function select(ticker: string, range?: { start: string; end: string }): void {
  const t = state.tickers.find((s) => s.ticker === ticker);
  if (!t) return;
  const previous = state.selected;
  state.selected = t;
  for (const b of document.querySelectorAll<HTMLElement>('.ticker')) b.setAttribute('aria-current', String(b.dataset.ticker === ticker));
  $('selected-ticker').textContent = t.ticker;
  if (ticker !== previous?.ticker) void quality.show(ticker);
  $('selected-meta').textContent = `${fmt.count(t.rows)} daily bars · ${fmt.date(t.first_date)} – ${fmt.date(t.last_date)} · ` +
    `updated ${fmt.ago(t.updated_at)}${t.fetched_at ? ` · fetched ${fmt.ago(t.fetched_at)}` : ''}`;
  const move = t.previous_close ? t.close / t.previous_close - 1 : 0;
  $('selected-quote').replaceChildren(
    h('span', { class: 'quote-price' }, fmt.price(t.close)),
    h('span', { class: `quote-change ${move > 0 ? 'up' : move < 0 ? 'down' : ''}` },
      t.previous_close ? `${fmt.change(move)} on ${fmt.date(t.last_date)}` : fmt.date(t.last_date)));
  for (const input of [$<HTMLInputElement>('range-start'), $<HTMLInputElement>('range-end')]) {
    input.min = t.first_date;
    input.max = t.last_date;
  }
  if (range) {
    state.preset = undefined;
    void showRange({ ticker, start: range.start < t.first_date ? t.first_date : range.start, end: range.end > t.last_date ? t.last_date : range.end, interval: state.interval, adjustment: state.adjustment });
  } else {
    void showRange(presetRange(t, state.preset ?? '1Y'));
  }
}

for (const button of document.querySelectorAll<HTMLButtonElement>('[data-range]')) {
  button.addEventListener('click', () => {
    state.preset = button.dataset.range as Preset;
    if (state.selected) void showRange(presetRange(state.selected, state.preset));
  });
}

// Interval and adjustment change the bars shown; the ticker and the range stay as they are.
function wireViewButtons<K extends 'interval' | 'adjustment'>(key: K, valid: (v: string | undefined) => v is (typeof state)[K]): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>(`[data-${key}]`)) {
    button.addEventListener('click', () => {
      const value = button.dataset[key];
      if (!valid(value)) return;
      state[key] = value;
      if (state.range) void showRange({ ...state.range, [key]: value });
      else setViewButtons();
    });
  }
}
wireViewButtons('interval', isInterval);
wireViewButtons('adjustment', isAdjustment);

function setViewButtons(): void {
  for (const b of document.querySelectorAll<HTMLElement>('[data-interval]')) b.setAttribute('aria-pressed', String(b.dataset.interval === state.interval));
  for (const b of document.querySelectorAll<HTMLElement>('[data-adjustment]')) b.setAttribute('aria-pressed', String(b.dataset.adjustment === state.adjustment));
}

for (const input of [$<HTMLInputElement>('range-start'), $<HTMLInputElement>('range-end')]) {
  input.addEventListener('change', () => {
    const start = $<HTMLInputElement>('range-start').value;
    const end = $<HTMLInputElement>('range-end').value;
    if (!state.selected || !start || !end) return;
    if (start > end) {
      toast('The start of the range must be on or before its end.', 'error');
      return;
    }
    state.preset = undefined;
    void showRange({ ticker: state.selected.ticker, start, end, interval: state.interval, adjustment: state.adjustment });
  });
}

/** Shows a range everywhere: inputs, URL, chart, table and the CSV link. */
async function showRange(range: Range): Promise<void> {
  state.range = range;
  for (const b of document.querySelectorAll<HTMLElement>('[data-range]')) b.setAttribute('aria-pressed', String(b.dataset.range === state.preset));
  setViewButtons();
  $<HTMLInputElement>('range-start').value = range.start;
  $<HTMLInputElement>('range-end').value = range.end;
  const url = new URL(location.href);
  const params = new URLSearchParams(state.preset ? { ticker: range.ticker, range: state.preset } : { ticker: range.ticker, from: range.start, to: range.end });
  if (range.interval !== '1d') params.set('interval', range.interval);
  if (range.adjustment !== 'raw') params.set('adjustment', range.adjustment);
  url.search = params.toString();
  history.replaceState(null, '', url);
  // The export holds daily bars.
  const link = $<HTMLAnchorElement>('export-csv');
  link.href = api.exportUrl({ ticker: range.ticker, start: range.start, end: range.end, order: 'asc' });
  link.removeAttribute('aria-disabled');
  link.title = range.interval === '1d' ? '' : 'The export holds the daily bars of this range';
  const name = INTERVAL_NAMES[range.interval];
  $('bars-title').textContent = `${name} bars`;
  $('bars-caption').textContent = `${name} bars of ${range.ticker}${ADJUSTMENT_NAMES[range.adjustment]}, from ${fmt.date(range.start)} to ${fmt.date(range.end)}, newest first`;
  await Promise.all([drawChart(range), table.show(range)]);
}

async function drawChart(range: Range): Promise<void> {
  chartRequest?.abort();
  const controller = new AbortController();
  chartRequest = controller;
  const el = $('chart');
  el.dataset.state = 'loading';
  const message = $('chart-message');
  try {
    let bars: Bar[];
    if (loaded && loaded.ticker === range.ticker && loaded.interval === range.interval && loaded.adjustment === range.adjustment
      && loaded.start <= range.start && loaded.end >= range.end) {
      bars = loaded.bars.filter((b) => b.date >= range.start && b.date <= range.end);
    } else {
      message.hidden = false;
      message.textContent = 'Loading…';
      const [fetched] = await Promise.all([allBars(range, controller.signal), loadActions(range.ticker)]);
      bars = fetched;
      loaded = { ...range, bars };
    }
    if (controller.signal.aborted) return;
    chart.setBars(bars);
    const marks = markActions(range, bars);
    message.hidden = bars.length > 0;
    message.textContent = bars.length ? '' : 'No bars in this range.';
    // Painted once the chart's next animation frame has run (it draws in requestAnimationFrame).
    requestAnimationFrame(() => requestAnimationFrame(() => {
      if (controller.signal.aborted) return;
      Object.assign(el.dataset, {
        state: 'ready', bars: String(bars.length), start: range.start, end: range.end, interval: range.interval, adjustment: range.adjustment, markers: String(marks),
      });
      performance.mark('chart-painted', { detail: { bars: bars.length } });
    }));
  } catch (err) {
    if (controller.signal.aborted) return;
    el.dataset.state = 'error';
    message.hidden = false;
    message.textContent = 'The bars could not be loaded.';
    reportError(err);
  }
}

async function loadActions(ticker: string): Promise<void> {
  if (actions?.ticker === ticker) return;
  actions = await api.corporateActions(ticker).catch(() => ({ ticker, splits: [], dividends: [] }));
}

/**
 * Marks the splits and dividends of the range on the chart (at the first bar on or after each
 * ex-date) and lists them under it, where a screen reader can read them; returns how many.
 */
function markActions(range: Range, bars: Bar[]): number {
  const inRange = (date: string) => date >= range.start && date <= range.end && actions?.ticker === range.ticker;
  const splits = (actions?.splits ?? []).filter((s) => inRange(s.ex_date));
  const dividends = (actions?.dividends ?? []).filter((d) => inRange(d.ex_date));
  const short = (x: number) => String(Number(x.toFixed(4)));
  const ratio = (f: number) => (f >= 1 ? `${short(f)}:1` : `1:${short(1 / f)}`);
  chart.setMarkers([
    ...splits.map((s) => ({ date: s.ex_date, kind: 'split' as const, text: ratio(s.factor) })),
    ...dividends.map((d) => ({ date: d.ex_date, kind: 'dividend' as const, text: 'D' })),
  ], bars);
  $('actions').replaceChildren(
    ...splits.map((s) => h('li', { 'data-action': 'split' }, h('b', {}, `Split ${ratio(s.factor)}`), ` ${fmt.date(s.ex_date)}`)),
    ...dividends.map((d) => h('li', { 'data-action': 'dividend' }, h('b', {}, `Dividend ${fmt.price(d.amount)}`), ` ${fmt.date(d.ex_date)}`)));
  return splits.length + dividends.length;
}

function showLegend(bar: Bar | undefined, previous: Bar | undefined): void {
  const legend = $('legend');
  if (!bar) {
    legend.replaceChildren();
    return;
  }
  const move = previous ? bar.close / previous.close - 1 : undefined;
  const item = (label: string, value: string, cls = '') => h('span', {}, `${label} `, h('b', { class: cls }, value));
  const parts = [
    h('span', {}, h('b', {}, fmt.date(bar.date))),
    item('O', fmt.price(bar.open)), item('H', fmt.price(bar.high)), item('L', fmt.price(bar.low)),
    item('C', fmt.price(bar.close), bar.close >= bar.open ? 'up' : 'down'),
  ];
  if (move !== undefined) parts.push(item('Δ', fmt.change(move), move >= 0 ? 'up' : 'down'));
  parts.push(item('V', fmt.volume(bar.volume)));
  // Spaces between the items, so the readout reads as words (to screen readers too).
  legend.replaceChildren(...parts.flatMap((part, i) => (i ? [' ', part] : [part])));
}

$('export-csv').addEventListener('click', (event) => {
  if (!state.range) event.preventDefault();
});

// ---- start ----
async function start(): Promise<void> {
  void refreshHealth();
  // The pipeline's panel is below the fold: its queries wait until the chart is drawn (or 1.5 s),
  // so on the single-connection embedded database they do not queue ahead of the bars.
  let etlStarted = false;
  const startEtl = () => {
    if (etlStarted) return;
    etlStarted = true;
    void etl.refresh().catch(reportError);
    // The quality report reads every bar: after the chart, like the pipeline's queries.
    void loadQuality();
  };
  window.setTimeout(startEtl, 1500);
  new PerformanceObserver((list, observer) => {
    if (!list.getEntriesByName('chart-painted').length) return;
    observer.disconnect();
    startEtl();
  }).observe({ entryTypes: ['mark'] });
  try {
    await loadTickers(firstTickers);
  } catch (err) {
    reportError(err);
    startEtl();
    return;
  }
  const params = new URLSearchParams(location.search);
  const wanted = params.get('ticker')?.toUpperCase();
  const ticker = state.tickers.find((t) => t.ticker === wanted)?.ticker ?? state.tickers[0]?.ticker;
  const range = params.get('range');
  if (isPreset(range)) state.preset = range;
  const interval = params.get('interval');
  if (isInterval(interval)) state.interval = interval;
  const adjustment = params.get('adjustment');
  if (isAdjustment(adjustment)) state.adjustment = adjustment;
  const from = params.get('from');
  const to = params.get('to');
  if (ticker) select(ticker, from && to ? { start: from, end: to } : undefined);
  else {
    $('chart-message').textContent = 'No data yet.';
    $('chart').dataset.state = 'empty';
    startEtl();
  }
}

// Background refreshes pause while the tab is hidden.
window.setInterval(() => { if (!document.hidden) void refreshHealth(); }, 30_000);
window.setInterval(() => { if (!document.hidden) void etl.refresh().catch(() => undefined); }, 15_000);

void start();
