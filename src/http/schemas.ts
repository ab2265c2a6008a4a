// Shapes shared by several routes. Each route declares its own request schema beside its handler.
import { Type } from 'typebox';
import { TICKER_ANY_CASE, TICKER_MAX_LENGTH, TICKER_RULE, VOLUME_MAX } from '../model/bar.ts';

/** A string enum as JSON Schema `enum` (clearer errors and docs than an anyOf of constants). */
export const StringEnum = <T extends string>(values: readonly T[], options: object = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

// The rule of model/bar.ts, case-insensitive: query strings and paths take any case.
const TICKER = TICKER_ANY_CASE;
export const TICKER_TEXT = `^${TICKER}$`;
/** One or more tickers, comma-separated, spaces around each allowed. */
const TICKER_LIST = `^\\s*${TICKER}\\s*(,\\s*${TICKER}\\s*)*$`;
export const TICKER_MESSAGE = TICKER_RULE;

/** A query parameter of tickers: repeated, or comma-separated in one value, or both. */
export const TickerListParam = (description: string, { maxItems = 100, maxLength = 1000 } = {}) => Type.Array(
  Type.String({ pattern: TICKER_LIST, maxLength, 'x-message': `must be tickers (${TICKER_MESSAGE}), comma-separated` }),
  { maxItems, description },
);

/**
 * A date in a query string. The year 0000 passes the `date` format but not PostgreSQL (it has no
 * year 0), so it is refused here, as a bad field, rather than by the database.
 */
export const DateParam = (description: string) =>
  Type.String({ format: 'date', pattern: '^(?!0000)', 'x-message': 'must be a date YYYY-MM-DD, year 0001 or later', description });

export const TickerParam = Type.String({
  pattern: TICKER_TEXT, maxLength: TICKER_MAX_LENGTH, 'x-message': TICKER_MESSAGE,
  description: 'Ticker symbol, case-insensitive', examples: ['AAPL'],
});

// Prices leave the service as JSON numbers. Stored prices are NUMERIC(15,6) — never more than
// 15 significant digits — and any such decimal survives the trip through a double exactly, so
// the number printed is exactly the stored decimal (trailing zeros aside).
const PriceOut = Type.Number({ description: 'Exact decimal price', examples: [150.25] });

export const MarketDataRecord = Type.Object(
  {
    id: Type.Optional(Type.Integer({ examples: [1], description: 'Daily bars only: weekly and monthly bars are read-only source data' })),
    ticker: Type.String({ examples: ['AAPL'] }),
    date: Type.String({ format: 'date', examples: ['2024-01-15'], description: 'The trading date; for a weekly or monthly bar, the last trading day of its period so far' }),
    interval: StringEnum(['1d', '1w', '1mo', '1q', '1y'] as const, { description: '`1d` daily, `1w` weekly, `1mo` monthly, `1q` quarterly, `1y` yearly' }),
    adjustment: StringEnum(['raw', 'split', 'total'] as const, { description: 'The prices as stored (`raw`), or adjusted for splits (`split`), or for splits and dividends (`total`)' }),
    derived: Type.Boolean({ description: 'Made from shorter bars (a week from its days, a quarter from its months), not stored as the source gave it' }),
    open: PriceOut,
    high: PriceOut,
    low: PriceOut,
    close: PriceOut,
    volume: Type.Integer({ minimum: 0, examples: [1000000] }),
    raw_close: Type.Optional({ ...PriceOut, description: 'The stored close, when an adjustment changed the prices' }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'MarketData', title: 'MarketData' },
);

/** A price in a request: a JSON number or a decimal string, kept exact (see json-body.ts). */
export const PriceIn = (description: string) =>
  Type.Unsafe<string>({ type: ['number', 'string'], 'x-price': true, description, examples: [150.25, '150.25'] });

export const VolumeIn = Type.Integer({ minimum: 0, maximum: VOLUME_MAX, description: 'Shares traded', examples: [1000000] });

export const IdParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Record id' }),
});

const IntervalParam = StringEnum(['1d', '1w', '1mo', '1q', '1y'] as const, {
  default: '1d',
  description: '`1d`: daily bars. `1w`, `1mo`: the source\'s weekly and monthly bars, each dated by its period\'s last trading day (the newest one partial), and for a period without one, a bar derived from the daily bars (`derived: true`). `1q`, `1y`: derived from the monthly bars. Bars other than daily are read-only.',
});

export const AdjustmentParam = StringEnum(['raw', 'split', 'total'] as const, {
  default: 'raw',
  description: '`raw`: as stored. `split`: prices divided by the product of the factors of the splits after the bar, volume multiplied by it. `total`: also multiplied, for each dividend after the bar, by 1 − amount ÷ the close before its ex-date. Exact decimals, rounded once to 6 places; computed on read. An adjusted bar keeps its stored close as `raw_close`.',
});

/** The listing's filters, which the export takes too: each route words its own ticker and order. */
export const listFilters = (tickerDescription: string, orderDescription: string) => ({
  ticker: Type.Optional(TickerListParam(tickerDescription)),
  start_date: Type.Optional(DateParam('First date, inclusive')),
  end_date: Type.Optional(DateParam('Last date, inclusive')),
  order: StringEnum(['desc', 'asc'] as const, { default: 'desc', description: orderDescription }),
  interval: IntervalParam,
  adjustment: AdjustmentParam,
});
