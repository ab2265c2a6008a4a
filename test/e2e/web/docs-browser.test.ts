// /docs (Swagger UI) and /redoc (ReDoc) in a real browser under the service's security headers:
// they render every operation, the Content-Security-Policy blocks nothing they need, and no
// request leaves for another host. Skipped only when /usr/bin/chromium is absent.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../../helpers/app.ts';
import { openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface Visit { violations: string[]; cspConsole: string[]; errors: string[]; foreign: string[]; requests: number }

describe.runIf(fs.existsSync(CHROMIUM))('API docs in a browser under the security headers', () => {
  let t: TestDatabase;
  let app: Awaited<ReturnType<typeof testApp>>;
  let browser: Browser;
  let origin: string;
  let operations: { method: string; path: string; summary: string }[];

  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    app = await testApp(t.db);
    await app.listen({ host: '127.0.0.1', port: 0 });
    origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const spec = (await app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, { summary: string }>> };
    operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method, path, summary: op.summary })));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.drop();
  });

  async function visit(path: string, rendered: (page: Page) => Promise<void>): Promise<Visit> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const v: Visit = { violations: [], cspConsole: [], errors: [], foreign: [], requests: 0 };
    // Reported by the page itself: every resource or eval the policy blocked.
    // (Browser code is passed as text: the project compiles without the DOM library.)
    await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
      (window.__csp ??= []).push(e.violatedDirective + ' ' + e.blockedURI);
    });`);
    page.on('console', (m) => { if (/Content[- ]Security[- ]Policy/i.test(m.text())) v.cspConsole.push(m.text()); });
    page.on('pageerror', (e) => v.errors.push(e.message));
    page.on('request', (r) => {
      v.requests++;
      const url = r.url();
      if (!url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url)) v.foreign.push(url);
    });
    const response = await page.goto(`${origin}${path}`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await rendered(page);
    await page.waitForTimeout(500); // late workers, fonts and lazy assets
    v.violations = await page.evaluate<string[]>('window.__csp ?? []');
    await context.close();
    return v;
  }

  it('Swagger UI at /docs renders every operation', async () => {
    const v = await visit('/docs/', async (page) => {
      await page.waitForSelector('.opblock-summary', { timeout: 15_000 });
      const shown = await page.$$eval('.opblock-summary', (els) => els.map((e) => ({
        method: e.querySelector('.opblock-summary-method')?.textContent?.toLowerCase(),
        path: e.querySelector('.opblock-summary-path')?.getAttribute('data-path'),
      })));
      expect(shown.map((o) => `${o.method} ${o.path}`).sort()).toEqual(operations.map((o) => `${o.method} ${o.path}`).sort());
    });
    expect(v).toMatchObject({ violations: [], cspConsole: [], errors: [], foreign: [] });
    expect(v.requests).toBeGreaterThan(3);
  });

  it('ReDoc at /redoc renders every operation', async () => {
    const v = await visit('/redoc', async (page) => {
      await page.waitForSelector('[data-section-id^="tag/"]', { timeout: 20_000 });
      const text = await page.textContent('body');
      for (const op of operations) expect(text, `${op.method} ${op.path}`).toContain(op.summary);
      // The search box is backed by a Worker built from a blob: URL (worker-src blob:).
      const menus = () => page.$$eval('.menu-content [role="menu"]', (els) => els.length);
      const before = await menus();
      await page.click('input.search-input');
      await page.keyboard.type('daily bars', { delay: 30 });
      await expect.poll(menus, { timeout: 10_000 }).toBeGreaterThan(before); // the results list appeared
      expect(await page.textContent('.menu-content [role="menu"]')).toContain('List bars: daily to yearly, raw or adjusted');
    });
    expect(v).toMatchObject({ violations: [], cspConsole: [], errors: [], foreign: [] });
  });
});
