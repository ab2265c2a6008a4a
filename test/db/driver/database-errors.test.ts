import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../../src/db/driver/database.ts';
import { DatabaseError, toDatabaseError } from '../../../src/db/driver/errors.ts';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('toDatabaseError', () => {
  it.each([
    [coded('23505', 'duplicate key value violates unique constraint'), 'unique'],
    [coded('23514', 'new row violates check constraint'), 'check'],
    [coded('23502'), 'not_null'],
    [coded('23503'), 'foreign_key'],
    [coded('23P01', 'conflicting key value violates exclusion constraint'), 'integrity'],
    [coded('22003', 'numeric field overflow'), 'invalid_input'],
    [coded('22008', 'date/time field value out of range'), 'invalid_input'],
    [coded('22P02', 'invalid input syntax for type numeric'), 'invalid_input'],
    [coded('22012', 'division by zero'), 'data'],
    [coded('40P01', 'deadlock detected'), 'deadlock'],
    [coded('40001', 'canceling statement due to conflict with recovery'), 'serialization'],
    [coded('55P03', 'could not obtain lock'), 'lock_unavailable'],
    [coded('57014', 'canceling statement due to statement timeout'), 'timeout'],
    [coded('57P04'), 'database_dropped'],
    [coded('25006', 'cannot execute INSERT in a read-only transaction'), 'read_only'],
    [coded('57P01', 'terminating connection due to administrator command'), 'unavailable'],
    [coded('57P02'), 'unavailable'],
    [coded('57P03', 'the database system is starting up'), 'unavailable'],
    [coded('53300', 'sorry, too many clients already'), 'unavailable'],
    [coded('08006'), 'unavailable'],
    [coded('08P01'), 'unavailable'],
    [coded('ECONNREFUSED'), 'unavailable'],
    [coded('ECONNRESET'), 'unavailable'],
    [coded('EPIPE'), 'unavailable'],
    [coded('ETIMEDOUT'), 'unavailable'],
    [coded('ENOTFOUND'), 'unavailable'],
    [coded('EHOSTUNREACH'), 'unavailable'],
    [coded('ENOENT'), 'unavailable'],
    [new Error('Connection terminated unexpectedly'), 'unavailable'],
    [new Error('Client has encountered a connection error and is not queryable'), 'unavailable'],
    [new Error('Cannot use a pool after calling end on the pool'), 'unavailable'],
    [new DatabaseUnavailableError('the database did not answer within 2000 ms'), 'unavailable'],
    [new Error('timeout exceeded when trying to connect'), 'connect_timeout'],
    [coded('28P01', 'password authentication failed'), 'auth'],
    [coded('28000'), 'auth'],
    [coded('3D000', 'database "x" does not exist'), 'missing_database'],
    [coded('42P01', 'relation does not exist'), 'other'],
    [coded('42601', 'syntax error'), 'other'],
    [coded('FST_ERR_HANDLER_TIMEOUT'), 'other'],
    [coded('constructor'), 'other'],
    [new Error('boom'), 'other'],
    ['a string', 'other'],
    [undefined, 'other'],
    [null, 'other'],
  ])('%s → %s', (err, kind) => {
    const classified = toDatabaseError(err);
    expect(classified.kind).toBe(kind);
    expect(classified).toBeInstanceOf(DatabaseError);
    expect(classified.cause).toBe(err);
  });

  it.each([
    ['23505', true], ['23514', true], ['22P02', true], ['22012', true],
    ['40P01', false], ['57014', false], ['42P01', false], ['ECONNRESET', false],
  ])('a row with code %s is refused on its own: %s', (code, refused) => {
    expect(toDatabaseError(coded(code)).rowRefused).toBe(refused);
  });

  it.each([
    ['40P01', true], ['40001', true], ['55P03', false], ['57014', false], ['23505', false], ['57P01', false],
  ])('a statement failing with %s may be run again: %s', (code, retryable) => {
    expect(toDatabaseError(coded(code)).retryable).toBe(retryable);
  });

  it('keeps the code and message, and classifies a classified error as itself', () => {
    const classified = toDatabaseError(coded('23505', 'duplicate key'));
    expect(classified).toMatchObject({ code: '23505', message: 'duplicate key' });
    expect(toDatabaseError(classified)).toBe(classified);
  });
});
