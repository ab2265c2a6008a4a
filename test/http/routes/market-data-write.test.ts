// POST, GET by id, PUT/PATCH and DELETE on /api/v1/market-data, each rule checked on every database.
import { describe, expect, it } from 'vitest';
import { bar, useTestApp } from '../../helpers/app.ts';
import { DATABASE_KINDS } from '../../helpers/databases.ts';

const URL_ = '/api/v1/market-data';

describe.each(DATABASE_KINDS)('market data writes on %s', (kind) => {
  const ctx = useTestApp(kind, { resetEach: true });

  const post = (payload: unknown) => ctx.app.inject({ method: 'POST', url: URL_, payload: payload as object });
  const create = async (overrides: Record<string, unknown> = {}) => {
    const res = await post(bar(overrides));
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };

  describe('POST', () => {
    it('creates a record: 201, Location, the stored row', async () => {
      const res = await post(bar({ ticker: 'aapl' }));
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(res.headers.location).toBe(`/api/v1/market-data/${body.id}`);
      expect(body).toMatchObject({ ticker: 'AAPL', date: '2024-01-15', open: 150, high: 155, low: 149, close: 153, volume: 1000000 });
      expect(body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(body.updated_at).toBe(body.created_at);
      expect(Object.keys(body)).toEqual(['id', 'ticker', 'date', 'interval', 'adjustment', 'derived', 'open', 'high', 'low', 'close', 'volume', 'created_at', 'updated_at']);
    });

    it('keeps prices exact, from JSON numbers and decimal strings alike', async () => {
      // 15 significant digits: a double parse would still round-trip these, but the point is that
      // the text travels untouched from request to NUMERIC and back.
      const payload = `{"ticker":"X","date":"2024-01-15","open":123456789.123456,"high":"123456789.123457",` +
        `"low":0.000001,"close":"100.10","volume":3000000000}`;
      const res = await ctx.app.inject({ method: 'POST', url: URL_, payload, headers: { 'content-type': 'application/json' } });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.body).toContain('"open":123456789.123456,"high":123456789.123457,"low":0.000001,"close":100.1,"volume":3000000000');
      const { rows } = await ctx.t.db.query('SELECT open::text, high::text, low::text, close::text FROM market_data');
      expect(rows[0]).toEqual({ open: '123456789.123456', high: '123456789.123457', low: '0.000001', close: '100.100000' });
    });

    it('answers 409 when (ticker, date) exists, whatever the case of the ticker', async () => {
      await create();
      const res = await post(bar({ ticker: 'aapl', volume: 5 }));
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.json()).toMatchObject({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'market data for AAPL on 2024-01-15 already exists' });
      expect((await ctx.t.db.query('SELECT volume FROM market_data')).rows).toEqual([{ volume: 1000000 }]);
    });

    it.each([
      ['a missing field', { ticker: undefined }, [['ticker', 'is required']]],
      ['a ticker too long', { ticker: 'A'.repeat(17) }, [['ticker', 'must be 1-16 characters of A-Z 0-9 . -, starting with a letter or digit']]],
      ['a ticker with bad characters', { ticker: "AA'; DROP TABLE market_data;--" }, [['ticker', 'must be 1-16 characters of A-Z 0-9 . -, starting with a letter or digit']]],
      ['a ticker of 10 kB', { ticker: 'A'.repeat(10_000) }, [['ticker', 'must be 1-16 characters of A-Z 0-9 . -, starting with a letter or digit']]],
      // A CSV export opened in a spreadsheet would run `-2-3` (or `=…`, `+…`, `@…`) as a formula.
      ['a ticker starting with -', { ticker: '-2-3' }, [['ticker', 'must be 1-16 characters of A-Z 0-9 . -, starting with a letter or digit']]],
      ['a ticker starting with .', { ticker: '.AB' }, [['ticker', 'must be 1-16 characters of A-Z 0-9 . -, starting with a letter or digit']]],
      ['a non-string ticker', { ticker: 42 }, [['ticker', 'must be string']]],
      ['a zero price', { low: 0, open: 0 }, [['open', 'must be greater than 0'], ['low', 'must be greater than 0']]],
      ['a negative price', { close: -1 }, [['close', 'must be greater than 0']]],
      ['a price as words', { high: 'lots' }, [['high', 'must be a decimal number']]],
      ['NaN as a string', { open: 'NaN' }, [['open', 'must be a decimal number']]],
      ['Infinity as a string', { open: 'Infinity' }, [['open', 'must be a decimal number']]],
      ['a huge number', { high: 1e300 }, [['high', 'must be less than 1000000000']]],
      ['7 decimal places', { open: '150.0000001' }, [['open', 'must have at most 6 decimal places']]],
      ['a boolean price', { open: true }, [['open', 'must be number or string']]],
      ['a negative volume', { volume: -1 }, [['volume', 'must be >= 0']]],
      ['a fractional volume', { volume: 1.5 }, [['volume', 'must be integer']]],
      ['a volume as a string', { volume: '100' }, [['volume', 'must be integer']]],
      ['a volume beyond 2^53', { volume: 2 ** 53 }, [['volume', 'must be <= 9007199254740991']]],
      ['high below low', { high: 148 }, [['high', 'must not be below low (149)']]],
      ['open above high', { open: 156 }, [['open', 'must be between low (149) and high (155)']]],
      ['close below low', { close: 148.5 }, [['close', 'must be between low (149) and high (155)']]],
      ['a date that does not exist', { date: '2024-02-30' }, [['date', 'must be a real calendar date YYYY-MM-DD']]],
      ['a date in another format', { date: '15/01/2024' }, [['date', 'must be a real calendar date YYYY-MM-DD']]],
      ['a date in the future', { date: '2999-01-01' }, [['date', 'must not be in the future']]],
      ['an unknown field', { volumne: 5 }, [['volumne', 'is not a known field']]],
    ])('answers 422 for %s, naming the field', async (_name, overrides, expected) => {
      const res = await post(bar(overrides));
      expect(res.statusCode, res.body).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = res.json();
      expect(body).toMatchObject({ type: 'about:blank', title: 'Unprocessable Entity', status: 422 });
      expect(body.errors.map((e: { field: string; message: string }) => [e.field, e.message])).toEqual(expected);
      expect((await ctx.t.db.query('SELECT count(*) AS n FROM market_data')).rows[0]).toEqual({ n: 0 });
    });

    it('names every bad field at once', async () => {
      const res = await post({ ticker: '', date: 'x', open: -1, high: 'y', volume: -3, extra: 1 });
      expect(res.statusCode).toBe(422);
      const fields = res.json().errors.map((e: { field: string }) => e.field).sort();
      expect(fields).toEqual(['close', 'date', 'extra', 'high', 'low', 'open', 'ticker', 'volume']);
    });

    it.each([
      ['malformed JSON', '{"ticker":', 'application/json', 400],
      ['an empty body', '', 'application/json', 400],
      ['a JSON array', '[]', 'application/json', 422],
      ['a JSON string', '"x"', 'application/json', 422],
      ['a form body', 'ticker=AAPL', 'application/x-www-form-urlencoded', 415],
    ])('refuses %s with problem+json', async (_name, payload, type, status) => {
      const res = await ctx.app.inject({ method: 'POST', url: URL_, payload, headers: { 'content-type': type } });
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
    });

    it('refuses a body over the size limit with 413', async () => {
      const res = await ctx.app.inject({ method: 'POST', url: URL_, payload: JSON.stringify({ ...bar(), pad: 'x'.repeat(70_000) }), headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ status: 413 });
    });

    it('ignores a __proto__ key as an unknown field rather than polluting objects', async () => {
      const res = await ctx.app.inject({ method: 'POST', url: URL_, payload: '{"__proto__":{"polluted":1},"ticker":"A"}', headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(422);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('GET by id', () => {
    it('returns the record', async () => {
      const created = await create();
      const res = await ctx.app.inject(`${URL_}/${created.id}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(created);
    });

    it('answers 404 for an id that does not exist', async () => {
      const res = await ctx.app.inject(`${URL_}/999`);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ status: 404, title: 'Not Found', detail: 'market data 999 not found' });
    });

    it.each(['abc', '1.5', '0', '-1', '99999999999999999999', '1e3x'])('answers 422 for the id %s', async (id) => {
      const res = await ctx.app.inject(`${URL_}/${id}`);
      expect(res.statusCode).toBe(422);
      expect(res.json().errors[0].field).toBe('id');
    });
  });

  describe.each(['PUT', 'PATCH'] as const)('%s', (method) => {
    const update = (id: number | string, payload: unknown) => ctx.app.inject({ method, url: `${URL_}/${id}`, payload: payload as object });

    it('persists every given field and advances updated_at', async () => {
      const created = await create();
      await new Promise((r) => setTimeout(r, 5));
      const res = await update(created.id, { open: '151.5', high: 160, low: '148.25', close: 159.99, volume: 5_000_000_000 });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ id: created.id, open: 151.5, high: 160, low: 148.25, close: 159.99, volume: 5_000_000_000, created_at: created.created_at });
      expect(Date.parse(body.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
      expect((await ctx.app.inject(`${URL_}/${created.id}`)).json()).toEqual(body);
    });

    it.each([['open', 152], ['high', 156], ['low', 148], ['close', 150], ['volume', 7]])('changes only %s when only it is given', async (field, value) => {
      const created = await create();
      const res = await update(created.id, { [field]: value });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ...created, [field]: value, updated_at: res.json().updated_at });
    });

    it.each([
      ['open above the stored high', { open: 156 }, 'open'],
      ['high below the stored close', { high: 152 }, 'close'],
      ['low above the stored open', { low: 151 }, 'open'],
      ['close below the stored low', { close: 100 }, 'close'],
      ['high below a new low', { high: 140, low: 141 }, 'high'],
    ])('answers 422 when the merged row breaks a rule: %s', async (_name, payload, field) => {
      const created = await create();
      const res = await update(created.id, payload);
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
      expect((await ctx.app.inject(`${URL_}/${created.id}`)).json()).toEqual(created);
    });

    it.each([
      ['an empty body', {}, 'body'],
      ['an unknown field', { ticker: 'MSFT' }, 'ticker'],
      ['a bad price', { open: 'x' }, 'open'],
      ['a negative volume', { volume: -5 }, 'volume'],
    ])('answers 422 for %s', async (_name, payload, field) => {
      const created = await create();
      const res = await update(created.id, payload);
      expect(res.statusCode).toBe(422);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('answers 404 for a record that does not exist', async () => {
      const res = await update(12345, { volume: 1 });
      expect(res.statusCode).toBe(404);
    });
  });

  describe('DELETE', () => {
    it('deletes: 204, then 404 on read and on a second delete', async () => {
      const created = await create();
      const res = await ctx.app.inject({ method: 'DELETE', url: `${URL_}/${created.id}` });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expect((await ctx.app.inject(`${URL_}/${created.id}`)).statusCode).toBe(404);
      expect((await ctx.app.inject({ method: 'DELETE', url: `${URL_}/${created.id}` })).statusCode).toBe(404);
    });

    it('answers 422 for a non-integer id', async () => {
      expect((await ctx.app.inject({ method: 'DELETE', url: `${URL_}/x` })).statusCode).toBe(422);
    });
  });
});
