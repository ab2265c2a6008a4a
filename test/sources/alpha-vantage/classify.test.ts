import { describe, expect, it } from 'vitest';
import { classify, classifySeries } from '../../../src/sources/alpha-vantage/classify.ts';
import { failureOf } from '../../../src/sources/alpha-vantage/entitlements.ts';
import { BODIES, IBM_COMPACT, IBM_DIVIDENDS, IBM_SPLITS, IBM_WEEKLY, invalidCall } from '../../fixtures/alpha-vantage.ts';

describe('classify', () => {
  it('reads the documented daily answer', () => {
    expect(classifySeries(200, IBM_COMPACT)).toEqual({
      kind: 'bars',
      duplicates: [],
      rows: [
        { date: '2025-11-06', open: '306.7500', high: '315.4400', low: '301.0900', close: '312.4200', volume: '5687955' },
        { date: '2025-11-05', open: '301.3800', high: '307.2000', low: '299.7100', close: '306.7700', volume: '4633195' },
      ],
    });
  });

  it('reads the documented weekly answer under its own key, the partial Monday row included', () => {
    expect(classify(200, IBM_WEEKLY, 'TIME_SERIES_WEEKLY')).toMatchObject({
      kind: 'bars',
      rows: [{ date: '2025-12-08', close: '309.1800', volume: '3615794' }, { date: '2025-12-05', open: '306.5050', volume: '16688175' }],
    });
    // A weekly body is not a daily answer.
    expect(classify(200, IBM_WEEKLY, 'TIME_SERIES_DAILY')).toMatchObject({ kind: 'missing_series' });
  });

  it('reads SPLITS and DIVIDENDS, with "None" dates as sent', () => {
    expect(classify(200, IBM_SPLITS, 'SPLITS')).toEqual({
      kind: 'splits', rows: [{ ex_date: '2021-11-04', factor: '1.0460' }, { ex_date: '1999-05-27', factor: '2.0000' }],
    });
    expect(classify(200, IBM_DIVIDENDS, 'DIVIDENDS')).toEqual({
      kind: 'dividends',
      rows: [
        { ex_date: '2024-05-09', declaration_date: '2024-04-30', record_date: '2024-05-10', payment_date: '2024-06-10', amount: '1.67' },
        { ex_date: '1999-02-08', declaration_date: 'None', record_date: 'None', payment_date: 'None', amount: '0.22' },
      ],
    });
  });

  it.each([
    ['{}', '{}'],
    ['an empty data array', '{"symbol":"X","data":[]}'],
  ])('corporate actions: %s means none recorded', (_name, body) => {
    expect(classify(200, body, 'SPLITS')).toEqual({ kind: 'splits', rows: [] });
    expect(classify(200, body, 'DIVIDENDS')).toEqual({ kind: 'dividends', rows: [] });
  });

  // Every failure: its kind, and the effect the runner sees (the runner knows effects only).
  it.each([
    ['invalid symbol', 200, BODIES.invalid_symbol, 'invalid_symbol', 'not_found'],
    ['invalid call naming another function', 200, invalidCall('TIME_SERIES_WEEKLY'), 'invalid_symbol', 'not_found'],
    ['invalid or missing key', 200, BODIES.invalid_key, 'invalid_key', 'credentials'],
    ['per-minute note', 200, BODIES.minute_limit, 'minute_limit', 'rate_limited'],
    ['daily cap under Information', 200, BODIES.daily_limit, 'daily_limit', 'quota'],
    ['daily cap under Note', 200, BODIES.daily_limit_note, 'daily_limit', 'quota'],
    ['daily cap, "Thank you" wording', 200, BODIES.daily_limit_thanks, 'daily_limit', 'quota'],
    ['burst limit (also says "25 requests per day")', 200, BODIES.burst_limit, 'burst_limit', 'rate_limited'],
    ['burst limit, short variant', 200, BODIES.burst_limit_short, 'burst_limit', 'rate_limited'],
    ['premium endpoint', 200, BODIES.premium, 'premium', 'refused'],
    ['outputsize=full on a free key (2026)', 200, BODIES.premium_full, 'premium', 'refused'],
    ['demo key refused', 200, BODIES.demo_key, 'demo_key', 'error'],
    ['nothing found', 200, BODIES.empty, 'empty', 'not_found'],
    ['empty series', 200, '{"Meta Data":{},"Time Series (Daily)":{}}', 'empty', 'not_found'],
    ['a message under a key never seen before', 200, '{"Warning":"Our standard API call frequency is 5 calls per minute"}', 'minute_limit', 'rate_limited'],
    ['the series key missing, no message', 200, '{"Meta Data":{"2. Symbol":"X"}}', 'missing_series', 'error'],
    ['an unknown message', 200, '{"Information":"Something new happened."}', 'missing_series', 'error'],
    ['HTML error page', 200, '<!DOCTYPE html><html><body>Bad gateway</body></html>', 'malformed', 'error'],
    ['truncated JSON', 200, IBM_COMPACT.slice(0, 200), 'malformed', 'error'],
    ['a JSON array', 200, '[1,2]', 'malformed', 'error'],
    ['a series that is not an object', 200, '{"Time Series (Daily)":"nope"}', 'malformed', 'error'],
    ['HTTP 500', 500, 'Internal Server Error', 'http_error', 'transient'],
    ['HTTP 503', 503, '', 'http_error', 'transient'],
    ['HTTP 429', 429, '', 'minute_limit', 'rate_limited'],
    ['HTTP 404', 404, 'not found', 'http_error', 'error'],
  ])('%s → %s, %s', (_name, status, body, kind, effect) => {
    const outcome = classifySeries(status, body);
    expect(outcome.kind).toBe(kind);
    if (!('message' in outcome)) throw new Error('expected a failure');
    expect(outcome.message.length).toBeGreaterThan(0);
    const failure = failureOf(outcome);
    expect(failure.effect).toBe(effect);
    expect(failure.reason.length).toBeGreaterThan(0);
  });

  it('waits out a per-minute note for the whole window, a burst note briefly', () => {
    expect(failureOf({ kind: 'minute_limit', message: 'x' }).retryAfterMs).toBe(60_000);
    expect(failureOf({ kind: 'burst_limit', message: 'x' }).retryAfterMs).toBe(2_000);
    expect(failureOf({ kind: 'minute_limit', message: 'x' }).reason).toMatch(/^per-minute limit/);
  });

  it('finds a date listed twice, which JSON.parse would silently merge', () => {
    const body = '{"Time Series (Daily)":{"2024-01-03":{"1. open":"1"},"2024-01-02":{"1. open":"2"},"2024-01-03":{"1. open":"3"}}}';
    expect(classifySeries(200, body)).toMatchObject({ kind: 'bars', duplicates: ['2024-01-03'] });
  });

  it('reads volume from `6. volume` in adjusted series', () => {
    const outcome = classifySeries(200, '{"Time Series (Daily)":{"2024-01-03":{"1. open":"1","2. high":"1","3. low":"1","4. close":"1","5. adjusted close":"1","6. volume":"77"}}}');
    expect(outcome).toMatchObject({ kind: 'bars', rows: [{ volume: '77' }] });
  });
});
