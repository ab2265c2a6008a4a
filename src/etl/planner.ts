// Which datasets of which tickers are due, in what order, with which variant, and what they cost
// in requests. Pure: the runner gathers the inputs (ticker states, learned entitlements, the
// budget) and executes the plan; `GET /etl/plan` and `npm run etl -- --plan` show it.
//
// Order: every ticker's recent daily bars first (stalest first), then weekly and monthly history
// (new tickers first), then corporate actions. What today's budget cannot hold is deferred, not
// failed: the next New York day's runs plan it again.
import type { Entitlement } from '../db/repositories/entitlements.ts';
import type { TickerState } from '../db/repositories/ticker-datasets.ts';
import type { Dataset, DatasetOffer, Variant } from '../sources/source.ts';
import { sessionsBetween } from '../model/calendar.ts';
import { addDays, isUpToDate, newerPeriodPossible, newYork, weekdayOf, weekdaysAfter } from './freshness.ts';

export interface PlanOptions {
  /** Fetch every due-or-not dataset again (the daily one with its whole history). */
  force?: boolean;
  /** The whole daily history, even for tickers whose newest bar is recent. */
  fullDaily?: boolean;
  /** Only these datasets (default: every dataset the source offers). */
  datasets?: readonly Dataset[];
  /** A refused entitlement is asked again after this many days. */
  recheckDays: number;
  /** Splits and dividends are fetched again after this many days. */
  actionsRefreshDays: number;
}

interface Budget { perDay: number; usedToday: number }

export interface PlanInput {
  tickers: readonly string[];
  offers: readonly DatasetOffer[];
  states: ReadonlyMap<string, TickerState>;
  entitlements: readonly Entitlement[];
  /** Undefined for a source whose requests cost nothing (a file). */
  budget?: Budget;
  now: Date;
  options: PlanOptions;
}

export interface WorkItem {
  ticker: string;
  dataset: Dataset;
  variant: Variant;
  /** Tried in the same run when `variant` turns out to be refused. */
  fallback?: Variant;
  /** At most this many requests (the variant, and the fallback when it may be needed). */
  requests: number;
  reason: string;
}

interface DatasetPlan { dataset: Dataset; requests: number; reason: string }
interface TickerPlan { ticker: string; requests: number; datasets: DatasetPlan[] }

export interface Plan {
  /** Work in execution order. */
  items: WorkItem[];
  /** Per ticker, in the order given: each dataset considered, due or not. */
  tickers: TickerPlan[];
  requests: number;
  budget?: { per_day: number; used_today: number; remaining_today: number };
  /** New York days until the plan is done at the budget's pace, today included (0: nothing to do). */
  days_needed: number | null;
}

const PHASE: Record<Dataset, number> = { daily: 0, weekly: 1, monthly: 1, splits: 2, dividends: 2 };
const INTERVAL = { weekly: '1w', monthly: '1mo' } as const;
const DAY_MS = 86_400_000;

type Known = Map<string, Entitlement>;

/** allowed, refused (and not yet due for another try), or unknown. */
function statusOf(variant: Variant, known: Known, now: Date, recheckDays: number): 'allowed' | 'refused' | 'unknown' {
  if (!variant.entitlement) return 'allowed';
  const e = known.get(variant.entitlement);
  if (!e) return 'unknown';
  if (e.status === 'refused' && now.getTime() - Date.parse(e.checked_at) >= recheckDays * DAY_MS) return 'unknown';
  return e.status;
}

interface Choice { variant: Variant; fallback?: Variant; note?: string; /** The pick's entitlement is not known yet. */ probe: boolean }

/**
 * The variant to ask for. `need`: how many of the newest rows must come back, or 'all'. The first
 * variant that covers the need and is not refused wins; one whose entitlement is unknown is tried
 * with a fallback for the same run. Undefined when every variant is refused.
 */
function choose(offer: DatasetOffer, need: number | 'all', known: Known, now: Date, recheckDays: number): Choice | undefined {
  const usable = offer.variants.filter((v) => statusOf(v, known, now, recheckDays) !== 'refused');
  if (!usable.length) return undefined;
  const covers = (v: Variant) => v.history === 'all' || (need !== 'all' && need < v.history);
  // Covering variants, cheapest answer first: a bounded history before the whole one.
  const covering = usable.filter(covers).sort((a, b) => (a.history === 'all' ? 1 : 0) - (b.history === 'all' ? 1 : 0));
  const largest = [...usable].sort((a, b) => (a.history === 'all' ? Infinity : a.history) - (b.history === 'all' ? Infinity : b.history)).at(-1)!;
  const pick = covering[0] ?? largest;
  const note = covering[0] ? undefined : `older history needs a variant this key is refused; import it from a file`;
  // A fallback in case the pick is refused: likely while its entitlement is unknown, and possible
  // even when it was allowed (a key moved to a cheaper plan).
  const fallback = usable.find((v) => v !== pick && statusOf(v, known, now, recheckDays) === 'allowed') ?? usable.find((v) => v !== pick);
  return { variant: pick, fallback, note, probe: statusOf(pick, known, now, recheckDays) === 'unknown' && fallback !== undefined };
}

const describeVariant = (v: Variant) => (v.history === 'all' ? 'the whole history' : `the newest ${v.history} rows`);

interface Due { need: number | 'all'; why: string }

/** Whether a dataset of a ticker is due, and what it needs; a string says why not. */
function due(dataset: Dataset, state: TickerState, input: PlanInput): Due | string {
  const { now, options } = input;
  const fetched = state.fetchedAt[dataset];
  if (dataset === 'daily') {
    const newest = state.newestDaily;
    if (options.force) return { need: 'all', why: 'forced' };
    if (!newest) return { need: 'all', why: 'new ticker' };
    const gaps = repair(state, now);
    if (isUpToDate(newest, fetched ? new Date(fetched) : undefined, now)) {
      if (gaps.need) return { need: gaps.need, why: `${gaps.text}` };
      return `up to date: the newest bar (${newest}) is the latest there can be before the next close${gaps.text ? `; ${gaps.text}` : ''}`;
    }
    if (options.fullDaily) return { need: 'all', why: 'whole history asked for' };
    const need = Math.max(weekdaysAfter(newest, newYork(now).date, 10_000), gaps.need);
    return { need, why: `newest bar ${newest}${gaps.text ? `; ${gaps.text}` : ''}` };
  }
  if (options.force) return { need: 'all', why: 'forced' };
  if (!fetched) return { need: 'all', why: `no ${dataset} yet` };
  if (dataset === 'weekly' || dataset === 'monthly') {
    return newerPeriodPossible(INTERVAL[dataset], new Date(fetched), now)
      ? { need: 'all', why: `a newer ${dataset === 'weekly' ? 'week' : 'month'} since ${fetched.slice(0, 10)}` }
      : `up to date: no newer ${dataset === 'weekly' ? 'week' : 'month'} since ${fetched.slice(0, 10)}`;
  }
  const age = (now.getTime() - Date.parse(fetched)) / DAY_MS;
  return age >= options.actionsRefreshDays
    ? { need: 'all', why: `last fetched ${fetched.slice(0, 10)}` }
    : `up to date: fetched ${fetched.slice(0, 10)}, refreshed every ${options.actionsRefreshDays} days`;
}

/**
 * Sessions missing between a ticker's bars (the quality report's): the recent ones are fetched
 * again with the rows back to the oldest of them — once per New York day, so a session the
 * source itself lacks costs one request a day, not one a run; the older ones only a whole
 * history or a file can bring. `need` 0: nothing to refetch.
 */
function repair(state: TickerState, now: Date): { need: number; text: string } {
  const gaps = state.missing;
  if (!gaps || (!gaps.recent.length && !gaps.older)) return { need: 0, text: '' };
  const older = gaps.older ? `${gaps.older} older missing session${gaps.older === 1 ? '' : 's'} need full history or an import` : '';
  const fetched = state.fetchedAt.daily;
  const today = newYork(now).date;
  if (!gaps.recent.length || (fetched && newYork(new Date(fetched)).date === today)) {
    const waiting = gaps.recent.length ? `${gaps.recent.length} missing session${gaps.recent.length === 1 ? '' : 's'} asked for today already` : '';
    return { need: 0, text: [waiting, older].filter(Boolean).join('; ') };
  }
  const oldest = gaps.recent[0]!;
  const recent = `refetch ${gaps.recent.length} missing session${gaps.recent.length === 1 ? '' : 's'} since ${oldest}`;
  return { need: sessionsBetween(oldest, today).length, text: [recent, older].filter(Boolean).join('; ') };
}

export function plan(input: PlanInput): Plan {
  const { tickers, offers, states, now, options } = input;
  const known: Known = new Map(input.entitlements.map((e) => [e.entitlement, e]));
  const wanted = offers.filter((o) => !options.datasets || options.datasets.includes(o.dataset));
  const tickerPlans: TickerPlan[] = [];
  const candidates: (WorkItem & { phase: number; stale: string; position: number; probe: boolean })[] = [];
  for (const [position, ticker] of tickers.entries()) {
    const state = states.get(ticker) ?? { fetchedAt: {} };
    const datasets: DatasetPlan[] = [];
    for (const offer of wanted) {
      const d = due(offer.dataset, state, input);
      if (typeof d === 'string') {
        datasets.push({ dataset: offer.dataset, requests: 0, reason: d });
        continue;
      }
      const choice = choose(offer, d.need, known, now, options.recheckDays);
      if (!choice) {
        const refusal = offer.variants.map((v) => (v.entitlement ? known.get(v.entitlement) : undefined)).find((e) => e !== undefined);
        const again = refusal ? addDays(refusal.checked_at.slice(0, 10), options.recheckDays) : '';
        datasets.push({ dataset: offer.dataset, requests: 0, reason: `refused for this key${refusal?.reason ? ` (${refusal.reason})` : ''}; asked again from ${again}` });
        continue;
      }
      let reason = `${d.why}: ${describeVariant(choice.variant)}`;
      if (choice.probe) reason += ` if this key allows it (not yet known), else ${describeVariant(choice.fallback!)}`;
      if (choice.note) reason += ` (${choice.note})`;
      candidates.push({
        ticker, dataset: offer.dataset, variant: choice.variant, fallback: choice.fallback, probe: choice.probe, requests: choice.variant.requests, reason,
        phase: PHASE[offer.dataset], position,
        // Stalest first: daily by its newest bar, the rest never-fetched first, then oldest fetch.
        stale: offer.dataset === 'daily' ? state.newestDaily ?? '' : state.fetchedAt[offer.dataset] ?? '',
      });
      datasets.push({ dataset: offer.dataset, requests: choice.variant.requests, reason });
    }
    tickerPlans.push({ ticker, requests: 0, datasets });
  }
  candidates.sort((a, b) => a.phase - b.phase || (a.stale < b.stale ? -1 : a.stale > b.stale ? 1 : 0) || a.position - b.position);

  // A fallback costs a request only until the variant's entitlement is learned: the first item
  // to try it pays for both; the others get whichever turned out allowed.
  const probing = new Set<string>();
  const items: WorkItem[] = candidates.map(({ phase: _p, stale: _s, position: _q, probe, ...item }) => {
    const key = item.variant.entitlement;
    if (probe && key && !probing.has(key)) {
      probing.add(key);
      return { ...item, requests: item.variant.requests + item.fallback!.requests };
    }
    return item;
  });
  const byTicker = new Map(tickerPlans.map((t) => [t.ticker, t]));
  for (const item of items) {
    const t = byTicker.get(item.ticker)!;
    t.requests += item.requests;
    t.datasets.find((d) => d.dataset === item.dataset)!.requests = item.requests;
  }
  const requests = items.reduce((n, i) => n + i.requests, 0);
  const budget = input.budget
    ? { per_day: input.budget.perDay, used_today: input.budget.usedToday, remaining_today: Math.max(0, input.budget.perDay - input.budget.usedToday) }
    : undefined;
  return { items, tickers: tickerPlans, requests, budget, days_needed: daysNeeded(requests, budget, tickers.length, wanted, now) };
}

/**
 * Days until `requests` are spent: today's remaining budget, then each later New York day's budget
 * less what that day needs anyway — on a weekday, one daily request per ticker for the new session.
 * An estimate: weekly, monthly and corporate-action refreshes come on top now and then.
 */
function daysNeeded(requests: number, budget: Plan['budget'], tickers: number, offers: readonly DatasetOffer[], now: Date): number | null {
  if (requests === 0) return 0;
  if (!budget) return 1;
  let left = requests - budget.remaining_today;
  let days = budget.remaining_today > 0 ? 1 : 0;
  const recurring = offers.some((o) => o.dataset === 'daily') ? tickers : 0;
  for (let day = newYork(now).date; left > 0; days++) {
    if (days > 3660) return null; // the budget never catches up
    day = addDays(day, 1);
    const weekday = weekdayOf(day) % 6 !== 0;
    left -= budget.per_day - (weekday ? recurring : 0);
  }
  return days;
}
