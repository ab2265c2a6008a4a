// Keyset cursors: an opaque token holding the last row's (date, ticker), the order and interval it
// was read in and the page number it leads to. The client passes the same filters again with it.
import { INTERVALS, type Interval, type Keyset, type Order } from '../db/repositories/market-data-list.ts';
import { isCalendarDate, TICKER_PATTERN } from '../model/bar.ts';

interface Cursor extends Keyset { order: Order; page: number; interval: Interval }

export function encodeCursor(c: Cursor): string {
  // Daily cursors keep the four-element form they had before intervals existed.
  const value = c.interval === '1d' ? [c.date, c.ticker, c.order, c.page] : [c.date, c.ticker, c.order, c.page, c.interval];
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The cursor, or undefined when the token is not one this service made. */
export function decodeCursor(token: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length < 4 || value.length > 5) return undefined;
    const [date, ticker, order, page, interval = '1d'] = value as unknown[];
    if (!INTERVALS.includes(interval as Interval) || (value.length === 5 && interval === '1d')) return undefined;
    // A date the database would refuse (2024-02-30) is a forged cursor, not a server error.
    if (typeof date !== 'string' || !isCalendarDate(date)) return undefined;
    if (typeof ticker !== 'string' || !TICKER_PATTERN.test(ticker)) return undefined;
    if (order !== 'asc' && order !== 'desc') return undefined;
    if (typeof page !== 'number' || !Number.isSafeInteger(page) || page < 2) return undefined;
    return { date, ticker, order, page, interval: interval as Interval };
  } catch {
    return undefined;
  }
}
