import { describe, expect, it } from 'vitest';
import { isLsn, lsnAtLeast, lsnBytesBehind, maxLsn, parseLsn } from '../../../src/db/driver/lsn.ts';
import { mergeReadContexts } from '../../../src/db/driver/read-context.ts';
import { classifyReadFailure, lagMsOf } from '../../../src/db/driver/replicas.ts';

describe('WAL positions', () => {
  it.each([
    ['0/0', 0n],
    ['0/16B3748', 0x16B3748n],
    ['16/B374D848', (0x16n << 32n) | 0xB374D848n],
    ['FFFFFFFF/FFFFFFFF', (1n << 64n) - 1n],
    [' 1/0 ', 1n << 32n],
    ['1/', undefined],
    ['0x1/2', undefined],
    ['1/2/3', undefined],
    ['100000000/0', undefined],
    ['', undefined],
  ])('parses %j', (text, value) => {
    expect(parseLsn(text)).toBe(value);
    expect(isLsn(text)).toBe(value !== undefined);
  });

  it.each([
    ['0/10', '0/F', true],
    ['0/F', '0/10', false],
    ['1/0', '0/FFFFFFFF', true],
    ['A/1', 'a/1', true],
  ])('%s is at or past %s: %s', (a, b, expected) => {
    expect(lsnAtLeast(a, b)).toBe(expected);
  });

  it('takes the later of two and counts the bytes between', () => {
    expect(maxLsn(undefined, '0/5')).toBe('0/5');
    expect(maxLsn('0/5', undefined)).toBe('0/5');
    expect(maxLsn('0/5', '1/0')).toBe('1/0');
    expect(maxLsn(undefined, undefined)).toBeUndefined();
    expect(lsnBytesBehind('1/0', '0/FFFFFFF0')).toBe(16);
    expect(lsnBytesBehind('0/5', '0/9')).toBe(0);
  });
});

describe('replica lag', () => {
  const samples = [{ lsn: '0/100', at: 1000 }, { lsn: '0/200', at: 2000 }, { lsn: '0/300', at: 3000 }];
  it.each([
    ['0/300', 0], // replayed the newest position
    ['0/350', 0],
    ['0/2FF', 1000], // misses the position of 3000: 1 s behind at 4000
    ['0/200', 1000],
    ['0/150', 2000],
    ['0/0', 3000], // older than every kept sample: at least as far behind as the oldest
  ])('replayed to %s at 4000 ms: %i ms behind', (replay, lag) => {
    expect(lagMsOf(samples, replay, 4000)).toBe(lag);
  });

  it('is 0 without samples (an idle or unreachable primary)', () => {
    expect(lagMsOf([], '0/0', 4000)).toBe(0);
  });
});

describe('a failed read on a replica', () => {
  const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it.each([
    [pgError('57P01', 'terminating connection due to administrator command'), 'down'],
    [pgError('08006'), 'down'],
    [pgError('57P03', 'the database system is starting up'), 'down'],
    [pgError('ECONNREFUSED'), 'down'],
    [new Error('Connection terminated unexpectedly'), 'down'],
    [new Error('timeout exceeded when trying to connect'), 'elsewhere'],
    [pgError('40001', 'canceling statement due to conflict with recovery'), 'elsewhere'],
    [pgError('40P01'), 'elsewhere'],
    [pgError('25006', 'cannot execute INSERT in a read-only transaction'), 'primary'],
    [pgError('57014', 'canceling statement due to statement timeout'), 'fatal'],
    [pgError('42P01', 'relation does not exist'), 'fatal'],
    [pgError('22P02'), 'fatal'],
  ])('%s → %s', (err, failure) => {
    expect(classifyReadFailure(err)).toBe(failure);
  });
});

describe('read contexts of a batch', () => {
  it.each([
    [[], undefined],
    [[undefined, undefined], undefined],
    [[{}, undefined], { minLsn: undefined }],
    [[{ minLsn: '0/5' }, {}, { minLsn: '1/0' }, undefined], { minLsn: '1/0' }],
  ])('%j → %j', (contexts, merged) => {
    expect(mergeReadContexts(contexts)).toEqual(merged);
  });
});
