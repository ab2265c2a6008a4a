// The datasets Alpha Vantage offers us, and the request behind each variant. Every variant names
// the (function, parameter) it needs as its entitlement: a free key is now refused
// `outputsize=full`, and what a key may do changes every year or two, so it is learned, not assumed.
import type { Dataset, DatasetOffer, Variant } from '../source.ts';
import type { AvFunction } from './classify.ts';

/** Rows a compact daily answer holds: the newest 100 trading days. */
const COMPACT_ROWS = 100;

export const OFFERS: readonly DatasetOffer[] = [
  {
    dataset: 'daily',
    variants: [
      { name: 'full', requests: 1, history: 'all', entitlement: 'TIME_SERIES_DAILY&outputsize=full' },
      { name: 'compact', requests: 1, history: COMPACT_ROWS, entitlement: 'TIME_SERIES_DAILY&outputsize=compact' },
    ],
  },
  { dataset: 'weekly', variants: [{ name: 'full', requests: 1, history: 'all', entitlement: 'TIME_SERIES_WEEKLY' }] },
  { dataset: 'monthly', variants: [{ name: 'full', requests: 1, history: 'all', entitlement: 'TIME_SERIES_MONTHLY' }] },
  { dataset: 'splits', variants: [{ name: 'all', requests: 1, history: 'all', entitlement: 'SPLITS' }] },
  { dataset: 'dividends', variants: [{ name: 'all', requests: 1, history: 'all', entitlement: 'DIVIDENDS' }] },
];

const FUNCTIONS: Record<Dataset, AvFunction> = {
  daily: 'TIME_SERIES_DAILY', weekly: 'TIME_SERIES_WEEKLY', monthly: 'TIME_SERIES_MONTHLY', splits: 'SPLITS', dividends: 'DIVIDENDS',
};

export function requestFor(ticker: string, dataset: Dataset, variant: Variant): { fn: AvFunction; params: Record<string, string> } {
  const params: Record<string, string> = { symbol: ticker };
  if (dataset === 'daily') params.outputsize = variant.name === 'full' ? 'full' : 'compact';
  return { fn: FUNCTIONS[dataset], params };
}
