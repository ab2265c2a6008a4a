// The security and reliability variables: defaults, accepted forms, and refusals listed by name.
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_RATE_LIMIT_PER_MINUTE, isLoopback, loadConfig, openWritesWarning, servingProblems } from '../src/config.ts';

const load = (env: Record<string, string>) => loadConfig({ env, dotenv: false, isTTY: false });

describe('security configuration', () => {
  it('defaults to: 30 s request and statement timeouts, no rate limit on loopback, CORS off, loopback names only, no trusted proxy', () => {
    const c = load({});
    expect(c.http).toEqual({ requestTimeoutMs: 30_000, rateLimitPerMinute: 0, corsOrigins: [], allowedHosts: ['localhost', '127.0.0.1', '::1'], trustProxy: false });
    expect(c.databaseStatementTimeoutMs).toBe(30_000);
  });

  it.each([
    ['0.0.0.0', false], ['::', false], ['192.168.1.20', false], ['market.example', false], ['[::]', false],
    ['127.0.0.1', true], ['127.1.2.3', true], ['localhost', true], ['LOCALHOST', true], ['::1', true], ['[::1]', true],
  ])('HOST %s is loopback: %s', (host, loopback) => expect(isLoopback(host)).toBe(loopback));

  it('rate-limits each client by default when HOST is not loopback, and checks no host names there', () => {
    expect(load({ HOST: '0.0.0.0' }).http).toMatchObject({ rateLimitPerMinute: DEFAULT_RATE_LIMIT_PER_MINUTE, allowedHosts: undefined });
    expect(load({ HOST: '0.0.0.0', RATE_LIMIT_PER_MINUTE: '0' }).http.rateLimitPerMinute).toBe(0);
    expect(load({ HOST: '0.0.0.0', ALLOWED_HOSTS: 'Market.Example' }).http.allowedHosts).toEqual(['localhost', '127.0.0.1', '::1', '0.0.0.0', 'market.example']);
    expect(load({ ALLOWED_HOSTS: '*' }).http.allowedHosts).toBeUndefined();
    expect(load({ HOST: '127.0.0.2', ALLOWED_HOSTS: 'a.example, [fe80::1]' }).http.allowedHosts).toEqual(['localhost', '127.0.0.1', '::1', '127.0.0.2', 'a.example', 'fe80::1']);
  });

  it('refuses to serve on a non-loopback HOST without API_KEY, unless ALLOW_OPEN_WRITES=true', () => {
    expect(servingProblems(load({ HOST: '0.0.0.0' }))).toEqual([expect.stringMatching(/^API_KEY: required when HOST \(0\.0\.0\.0\) is not a loopback address/)]);
    expect(servingProblems(load({ HOST: '0.0.0.0', API_KEY: 'a-long-secret' }))).toEqual([]);
    expect(servingProblems(load({ HOST: '127.0.0.1' }))).toEqual([]);
    const open = load({ HOST: '0.0.0.0', ALLOW_OPEN_WRITES: 'true' });
    expect(servingProblems(open)).toEqual([]);
    expect(openWritesWarning(open)).toMatch(/ALLOW_OPEN_WRITES=true: writes .* are open to anyone who can reach 0\.0\.0\.0:8000/);
    expect(openWritesWarning(load({}))).toMatch(/open to every process on this machine/);
    expect(openWritesWarning(load({ API_KEY: 'a-long-secret' }))).toBeUndefined();
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
        ALLOWED_HOSTS: 'ok.example,https://bad.example', ALLOW_OPEN_WRITES: 'maybe',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = error!.problems.join('\n');
    for (const name of ['REQUEST_TIMEOUT_MS', 'DATABASE_STATEMENT_TIMEOUT_MS', 'RATE_LIMIT_PER_MINUTE', 'TRUST_PROXY', 'ALLOWED_HOSTS', 'ALLOW_OPEN_WRITES']) expect(text).toContain(name);
    expect(text).toContain('CORS_ORIGINS: not origins (scheme://host[:port], or *): dash.example, https://x.example/path');
  });
});
