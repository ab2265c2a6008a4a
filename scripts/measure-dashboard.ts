// One-off measurement: how long the dashboard takes to paint the chart of a 5-year daily series
// (~1,260 bars) on the local server, and how much JavaScript its first load transfers.
//   node --import tsx scripts/measure-dashboard.ts [loads=7]      (TIMELINE=1: print each load's requests)
// Builds the page from web/, serves it with ten years of random-walk bars for three tickers on an
// in-memory PGlite, and opens it in /usr/bin/chromium with a cold cache each time. "Paint" is the
// page's own `chart-painted` mark (set two animation frames after the data reached the chart),
// read as milliseconds since navigation start. Also times switching ticker (fetch + draw).
/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { buildApp } from '../src/app.ts';
import { createEtl } from '../src/etl/index.ts';
import { loadConfig } from '../src/config.ts';
import { upsertBars } from '../src/db/repositories/market-data.ts';
import { migrate } from '../src/db/driver/migrate.ts';
import { openPglite } from '../src/db/driver/pglite.ts';
import { createLogger } from '../src/logger.ts';
import type { Bar } from '../src/model/bar.ts';

const loads = Number(process.argv[2] ?? 7);
const ROOT = path.resolve(import.meta.dirname, '..');
const TICKERS = ['ACME', 'GLOBEX', 'INITECH'];
const DAYS = 2520; // ten years of weekdays: the 5Y preset shows about half

/** Weekdays ending yesterday, a geometric random walk from a fixed seed: looks like a stock. */
function randomWalk(ticker: string, seed: number): Bar[] {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const normal = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const dates: string[] = [];
  for (let ms = Date.now() - 86_400_000; dates.length < DAYS; ms -= 86_400_000) {
    const day = new Date(ms).getUTCDay();
    if (day !== 0 && day !== 6) dates.push(new Date(ms).toISOString().slice(0, 10));
  }
  let close = 40 + random() * 100;
  return dates.reverse().map((date) => {
    const open = close * (1 + normal() * 0.004);
    close = Math.max(1, open * Math.exp(normal() * 0.016 + 0.0003));
    const high = Math.max(open, close) * (1 + Math.abs(normal()) * 0.006);
    const low = Math.min(open, close) * (1 - Math.abs(normal()) * 0.006);
    const volume = Math.round(2_000_000 * Math.exp(normal() * 0.4) * (1 + Math.abs(close - open) / open * 30));
    const cents = (n: number) => (Math.round(n * 100) / 100).toFixed(2);
    return { ticker, date, open: cents(open), high: cents(high), low: cents(low), close: cents(close), volume };
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

const webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-measure-'));
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-measure-'));
await build({ configFile: path.join(ROOT, 'web/vite.config.ts'), logLevel: 'error', build: { outDir: webDir, emptyOutDir: true } });

const db = await openPglite(undefined);
await migrate(db);
for (const [i, ticker] of TICKERS.entries()) {
  const bars = randomWalk(ticker, 7 + i * 1000);
  for (let at = 0; at < bars.length; at += 1000) await upsertBars(db, bars.slice(at, at + 1000));
}
const config = loadConfig({ env: { LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ETL_ENABLED: 'false' }, dotenv: false, isTTY: false });
const logger = createLogger({ level: 'warn', format: 'json', secrets: [] });
const etl = createEtl(config, db, logger);
const app = await buildApp({ config, db, logger, etl, webDir });
await app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1440, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const firstPaint: number[] = [];
const switchPaint: number[] = [];
let bars = 0;
let jsSent = 0;
try {
  for (let i = 0; i < loads + 1; i++) {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.clearBrowserCache'); // every load is a first load
    let sent = 0;
    page.on('requestfinished', async (request) => {
      if (request.resourceType() === 'script') sent += (await request.sizes()).responseBodySize;
    });
    await page.goto(`${base}/?ticker=${TICKERS[0]}&range=5Y`);
    await page.locator('#chart[data-state="ready"]').waitFor();
    const mark = await page.evaluate(() => performance.getEntriesByName('chart-painted').at(-1)!.startTime);
    bars = Number(await page.locator('#chart').getAttribute('data-bars'));
    if (process.env.TIMELINE) console.log(await page.evaluate(() => (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((e) => `${e.name.replace(location.origin, '').slice(0, 70).padEnd(70)} ${e.startTime.toFixed(0).padStart(5)} → ${e.responseEnd.toFixed(0).padStart(5)}`).join('\n')), `\nmark ${mark.toFixed(0)}`, await page.evaluate(() => performance.getEntriesByType('mark').map((m) => `${m.name} ${m.startTime.toFixed(0)}`).join(', ')));
    // Another ticker, same 5-year range: its bars are fetched and drawn.
    const before = await page.evaluate(() => performance.now());
    await page.locator(`.ticker[data-ticker="${TICKERS[1]}"]`).click();
    await page.locator('#chart[data-state="ready"]').waitFor();
    await page.waitForFunction(() => performance.getEntriesByName('chart-painted').length >= 2);
    const after = await page.evaluate(() => performance.getEntriesByName('chart-painted').at(-1)!.startTime);
    if (i > 0) { // the first load warms the server (prepared statements, JIT)
      firstPaint.push(mark);
      switchPaint.push(after - before);
      jsSent = sent;
    }
    if (i === loads) {
      await page.locator(`.ticker[data-ticker="${TICKERS[0]}"]`).click();
      await page.waitForFunction(() => performance.getEntriesByName('chart-painted').length >= 3);
      fs.mkdirSync(path.join(ROOT, 'test-results/screenshots'), { recursive: true });
      await page.screenshot({ path: path.join(ROOT, 'test-results/screenshots/dashboard-5y.png') });
    }
    await page.close();
  }
} finally {
  await context.close();
  await app.close();
  await etl.close();
  await db.close();
  fs.rmSync(webDir, { recursive: true, force: true });
  fs.rmSync(profile, { recursive: true, force: true });
}

console.log(`5-year series: ${bars} bars per chart`);
console.log(`first load → chart painted (cold cache, from navigation start): ${summary(firstPaint)}`);
console.log(`switch ticker → chart painted (fetch ${bars} bars + draw):       ${summary(switchPaint)}`);
console.log(`JavaScript transferred on first load: ${(jsSent / 1024).toFixed(1)} kB (compressed as sent)`);
