// The dashboard's files as the service sends them: the page, its hashed assets pre-compressed
// and cached for good, and a page that says how to build it when the build is missing.
// (The page itself, in a browser, is test/e2e/web/dashboard.test.ts.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithEtl, captureLogger, testConfig } from '../../helpers/app.ts';
import { openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

const SCRIPT = 'console.log("dashboard");'.repeat(200);

describe('dashboard files', () => {
  let t: TestDatabase;
  let dir: string;
  const apps: Awaited<ReturnType<typeof appWithEtl>>[] = [];
  const appWith = async (webDir: string) => {
    const config = testConfig();
    const app = await appWithEtl({ config, db: t.db, logger: captureLogger(config).logger, webDir });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    // A stand-in for web/dist as the Vite build lays it out.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'web-dist-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!DOCTYPE html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body></body></html>');
    fs.writeFileSync(path.join(dir, 'assets/index-abc123.js'), SCRIPT);
    fs.writeFileSync(path.join(dir, 'assets/index-abc123.js.gz'), zlib.gzipSync(SCRIPT));
    fs.writeFileSync(path.join(dir, 'assets/index-abc123.js.br'), zlib.brotliCompressSync(SCRIPT));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page at / under a Content-Security-Policy, never cached', async () => {
    const app = await appWith(dir);
    const res = await app.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(res.headers['content-security-policy']).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(res.body).toContain('/assets/index-abc123.js');
    // A rebuild shows without a restart: the page is read per request.
    fs.writeFileSync(path.join(dir, 'index.html'), `${fs.readFileSync(path.join(dir, 'index.html'), 'utf8')}<!-- rebuilt -->`);
    expect((await app.inject('/')).body).toContain('rebuilt');
  });

  it('sends assets pre-compressed as the client accepts, cached as immutable', async () => {
    const app = await appWith(dir);
    const br = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(br.rawPayload).toString()).toBe(SCRIPT);
    const gz = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['content-type']).toMatch(/javascript/);
    expect(gz.headers['cache-control']).toMatch(/max-age=31536000.*immutable/);
    expect(zlib.gunzipSync(gz.rawPayload).toString()).toBe(SCRIPT);
    const plain = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
  });

  it('answers a missing asset, and unknown paths elsewhere, with the API\'s problem+json 404', async () => {
    const app = await appWith(dir);
    for (const url of ['/assets/nope.js', '/assets/../index.html', '/nothing']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/);
    }
  });

  it('says how to build the page when the build is missing, instead of failing', async () => {
    const app = await appWith(path.join(dir, 'not-built'));
    const res = await app.inject('/');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('npm run build:web');
    expect((await app.inject('/api/v1/health')).statusCode).toBe(200);
  });

  it('documents the export and summary endpoints, and not the page or its assets', async () => {
    const app = await appWith(dir);
    const spec = (await app.inject('/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/v1/market-data/export', '/api/v1/ticker-summaries']));
    expect(Object.keys(spec.paths).filter((p) => !p.startsWith('/api/'))).toEqual([]);
  });
});
