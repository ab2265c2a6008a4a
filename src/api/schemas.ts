// Shapes shared by several routes. Each route declares its own request schema beside its handler.
import { Type } from 'typebox';
import { TICKER_RULE } from '../model/bar.ts';

/** A string enum as JSON Schema `enum` (clearer errors and docs than an anyOf of constants). */
export const StringEnum = <T extends string>(values: readonly T[], options: object = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

// The rule of model/bar.ts (TICKER_PATTERN), case-insensitive: query strings and paths take any case.
const TICKER = '[A-Za-z0-9][A-Za-z0-9.-]{0,15}';
export const TICKER_TEXT = `^${TICKER}$`;
/** One or more tickers, comma-separated, spaces around each allowed. */
export const TICKER_LIST = `^\\s*${TICKER}\\s*(,\\s*${TICKER}\\s*)*$`;
export const TICKER_MESSAGE = TICKER_RULE;

/**
 * A date in a query string. The year 0000 passes the `date` format but not PostgreSQL (it has no
 * year 0), so it is refused here, as a bad field, rather than by the database.
 */
export const DateParam = (description: string) =>
  Type.String({ format: 'date', pattern: '^(?!0000)', 'x-message': 'must be a date YYYY-MM-DD, year 0001 or later', description });

export const TickerParam = Type.String({
  pattern: TICKER_TEXT, maxLength: 16, 'x-message': TICKER_MESSAGE,
  description: 'Ticker symbol, case-insensitive', examples: ['AAPL'],
});

// Prices leave the service as JSON numbers. Stored prices are NUMERIC(15,6) — never more than
// 15 significant digits — and any such decimal survives the trip through a double exactly, so
// the number printed is exactly the stored decimal (trailing zeros aside).
const PriceOut = Type.Number({ description: 'Exact decimal price', examples: [150.25] });

export const MarketDataRecord = Type.Object(
  {
    id: Type.Integer({ examples: [1] }),
    ticker: Type.String({ examples: ['AAPL'] }),
    date: Type.String({ format: 'date', examples: ['2024-01-15'] }),
    open: PriceOut,
    high: PriceOut,
    low: PriceOut,
    close: PriceOut,
    volume: Type.Integer({ minimum: 0, examples: [1000000] }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'MarketData', title: 'MarketData' },
);

/** A price in a request: a JSON number or a decimal string, kept exact (see json-body.ts). */
export const PriceIn = (description: string) =>
  Type.Unsafe<string>({ type: ['number', 'string'], 'x-price': true, description, examples: [150.25, '150.25'] });

export const VolumeIn = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Shares traded', examples: [1000000] });

export const IdParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Record id' }),
});
