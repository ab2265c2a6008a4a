import { describe, expect, it } from 'vitest';
import { classifyResponse, isTransient } from '../../src/etl/classify.ts';
import { BODIES, IBM_COMPACT } from '../fixtures/alpha-vantage.ts';

describe('classifyResponse', () => {
  it('reads the documented daily answer', () => {
    const outcome = classifyResponse(200, IBM_COMPACT);
    expect(outcome).toEqual({
      kind: 'data',
      duplicates: [],
      rows: [
        { date: '2025-11-06', open: '306.7500', high: '315.4400', low: '301.0900', close: '312.4200', volume: '5687955' },
        { date: '2025-11-05', open: '301.3800', high: '307.2000', low: '299.7100', close: '306.7700', volume: '4633195' },
      ],
    });
  });

  it.each([
    ['invalid symbol', 200, BODIES.invalid_symbol, 'invalid_symbol', false],
    ['invalid or missing key', 200, BODIES.invalid_key, 'invalid_key', false],
    ['per-minute note', 200, BODIES.minute_limit, 'minute_limit', true],
    ['daily cap under Information', 200, BODIES.daily_limit, 'daily_limit', false],
    ['daily cap under Note', 200, BODIES.daily_limit_note, 'daily_limit', false],
    ['burst limit (also says "25 requests per day")', 200, BODIES.burst_limit, 'burst_limit', true],
    ['premium endpoint', 200, BODIES.premium, 'premium', false],
    ['demo key refused', 200, BODIES.demo_key, 'demo_key', false],
    ['nothing found', 200, BODIES.empty, 'empty', false],
    ['empty series', 200, '{"Meta Data":{},"Time Series (Daily)":{}}', 'empty', false],
    ['a message under a key never seen before', 200, '{"Warning":"Our standard API call frequency is 5 calls per minute"}', 'minute_limit', true],
    ['the series key missing, no message', 200, '{"Meta Data":{"2. Symbol":"X"}}', 'missing_series', false],
    ['an unknown message', 200, '{"Information":"Something new happened."}', 'missing_series', false],
    ['HTML error page', 200, '<!DOCTYPE html><html><body>Bad gateway</body></html>', 'malformed', false],
    ['truncated JSON', 200, IBM_COMPACT.slice(0, 200), 'malformed', false],
    ['a JSON array', 200, '[1,2]', 'malformed', false],
    ['a series that is not an object', 200, '{"Time Series (Daily)":"nope"}', 'malformed', false],
    ['HTTP 500', 500, 'Internal Server Error', 'http_error', true],
    ['HTTP 503', 503, '', 'http_error', true],
    ['HTTP 429', 429, '', 'minute_limit', true],
    ['HTTP 404', 404, 'not found', 'http_error', false],
  ])('%s → %s', (_name, status, body, kind, transient) => {
    const outcome = classifyResponse(status, body);
    expect(outcome.kind).toBe(kind);
    expect(isTransient(outcome)).toBe(transient);
    if (outcome.kind !== 'data') expect(outcome.message.length).toBeGreaterThan(0);
  });

  it('finds a date listed twice, which JSON.parse would silently merge', () => {
    const body = '{"Time Series (Daily)":{"2024-01-03":{"1. open":"1"},"2024-01-02":{"1. open":"2"},"2024-01-03":{"1. open":"3"}}}';
    const outcome = classifyResponse(200, body);
    expect(outcome).toMatchObject({ kind: 'data', duplicates: ['2024-01-03'] });
  });

  it('reads volume from `6. volume` in adjusted series', () => {
    const outcome = classifyResponse(200, '{"Time Series (Daily)":{"2024-01-03":{"1. open":"1","2. high":"1","3. low":"1","4. close":"1","5. adjusted close":"1","6. volume":"77"}}}');
    expect(outcome).toMatchObject({ kind: 'data', rows: [{ volume: '77' }] });
  });
});
