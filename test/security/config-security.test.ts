// The security and reliability variables: defaults, accepted forms, and refusals listed by name.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const load = (env: Record<string, string>) => loadConfig({ env, dotenv: false, isTTY: false });

describe('security configuration', () => {
  it('defaults to: 30 s request and statement timeouts, no rate limit, CORS off, no trusted proxy', () => {
    const c = load({});
    expect(c.http).toEqual({ requestTimeoutMs: 30_000, rateLimitPerMinute: 0, corsOrigins: [], trustProxy: false });
    expect(c.databaseStatementTimeoutMs).toBe(30_000);
  });

  it.each([
    [{ REQUEST_TIMEOUT_MS: '0' }, { requestTimeoutMs: 0 }],
    [{ RATE_LIMIT_PER_MINUTE: '120' }, { rateLimitPerMinute: 120 }],
    [{ CORS_ORIGINS: 'https://a.example, http://localhost:5173,https://a.example' }, { corsOrigins: ['https://a.example', 'http://localhost:5173'] }],
    [{ CORS_ORIGINS: '*' }, { corsOrigins: ['*'] }],
    [{ TRUST_PROXY: 'TRUE' }, { trustProxy: true }],
    [{ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }, { trustProxy: ['10.0.0.0/8', '127.0.0.1'] }],
  ])('reads %o', (env, http) => {
    expect(load(env).http).toMatchObject(http);
  });

  it('reads DATABASE_STATEMENT_TIMEOUT_MS', () => {
    expect(load({ DATABASE_STATEMENT_TIMEOUT_MS: '0' }).databaseStatementTimeoutMs).toBe(0);
  });

  it('lists every bad value at once', () => {
    let error: ConfigError | undefined;
    try {
      load({
        REQUEST_TIMEOUT_MS: '-1', DATABASE_STATEMENT_TIMEOUT_MS: 'soon', RATE_LIMIT_PER_MINUTE: '1.5',
        CORS_ORIGINS: 'https://ok.example,dash.example,https://x.example/path', TRUST_PROXY: 'the proxy',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = error!.problems.join('\n');
    for (const name of ['REQUEST_TIMEOUT_MS', 'DATABASE_STATEMENT_TIMEOUT_MS', 'RATE_LIMIT_PER_MINUTE', 'TRUST_PROXY']) expect(text).toContain(name);
    expect(text).toContain('CORS_ORIGINS: not origins (scheme://host[:port], or *): dash.example, https://x.example/path');
  });
});
