import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/api/cursor.ts';

describe('cursor', () => {
  it('round-trips', () => {
    const c = { date: '2024-01-15', ticker: 'BRK.B', order: 'desc' as const, page: 7 };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
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
  ])('rejects %s', (_name, token) => expect(decodeCursor(token)).toBeUndefined());
});
