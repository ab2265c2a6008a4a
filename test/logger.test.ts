import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, makeRedactor } from '../src/logger.ts';

describe('makeRedactor', () => {
  const redact = makeRedactor(['S3CRETKEY99', 'p@ss"word', undefined, 'demo']);
  it.each([
    ['https://www.alphavantage.co/query?function=X&apikey=ABCDEF123&symbol=IBM', 'https://www.alphavantage.co/query?function=X&apikey=[REDACTED]&symbol=IBM'],
    ['GET ...?APIKEY=zzz', 'GET ...?APIKEY=[REDACTED]'],
    ['postgresql://user:hunter2@db:5432/x', 'postgresql://user:[REDACTED]@db:5432/x'],
    ['postgresql+asyncpg://user:hunter2@db/x', 'postgresql+asyncpg://user:[REDACTED]@db/x'],
    ['the key S3CRETKEY99 leaked', 'the key [REDACTED] leaked'],
    ['{"msg":"p@ss\\"word"}', '{"msg":"[REDACTED]"}'],
    ['encoded p%40ss%22word', 'encoded [REDACTED]'],
    ['the demo key is public', 'the demo key is public'],
  ])('%s', (input, expected) => expect(redact(input)).toBe(expected));
});

describe('createLogger', () => {
  it('scrubs secrets from whole lines, wherever they appear', () => {
    const lines: string[] = [];
    const destination = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
    const logger = createLogger({ level: 'info', format: 'json', secrets: ['TOPSECRETKEY'], destination });
    logger.info({ nested: { url: 'http://x/query?apikey=TOPSECRETKEY' }, err: new Error('failed with TOPSECRETKEY') }, 'TOPSECRETKEY in message');
    logger.info({ req: { headers: { authorization: 'Bearer abc', 'x-api-key': 'xyz' } } }, 'headers');
    const out = lines.join('');
    expect(out).not.toContain('TOPSECRETKEY');
    expect(out).not.toContain('Bearer abc');
    expect(out).not.toContain('xyz');
    expect(out).toContain('[REDACTED]');
  });
});
