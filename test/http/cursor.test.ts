import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/http/cursor.ts';

describe('cursor', () => {
  it.each(['1d', '1w', '1mo', '1q', '1y'] as const)('round-trips (interval %s)', (interval) => {
    const c = { date: '2024-01-15', ticker: 'BRK.B', order: 'desc' as const, page: 7, interval };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });
  it('reads daily cursors made before intervals existed, and makes daily cursors the same way', () => {
    const old = Buffer.from(JSON.stringify(['2024-01-15', 'AAPL', 'asc', 3])).toString('base64url');
    expect(decodeCursor(old)).toEqual({ date: '2024-01-15', ticker: 'AAPL', order: 'asc', page: 3, interval: '1d' });
    expect(encodeCursor({ date: '2024-01-15', ticker: 'AAPL', order: 'asc', page: 3, interval: '1d' })).toBe(old);
  });
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  it.each([
    ['not base64 json', 'zzz'],
    ['empty', ''],
    ['wrong shape', b64({ date: '2024-01-01' })],
    ['bad date', b64(['2024/01/01', 'A', 'desc', 2])],
    ['no such day', b64(['2024-02-30', 'A', 'desc', 2])],
    ['year 0', b64(['0000-01-01', 'A', 'desc', 2])],
    ['bad ticker', b64(['2024-01-01', "a'; drop", 'desc', 2])],
    ['bad order', b64(['2024-01-01', 'A', 'sideways', 2])],
    ['page 1', b64(['2024-01-01', 'A', 'desc', 1])],
    ['fractional page', b64(['2024-01-01', 'A', 'desc', 2.5])],
    ['bad interval', b64(['2024-01-01', 'A', 'desc', 2, '2y'])],
    ['daily written out', b64(['2024-01-01', 'A', 'desc', 2, '1d'])],
    ['too long', b64(['2024-01-01', 'A', 'desc', 2, '1w', 'x'])],
  ])('rejects %s', (_name, token) => expect(decodeCursor(token)).toBeUndefined());
});
