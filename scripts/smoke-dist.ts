// CI's smoke test of the build as the image ships it: dist/, web/dist and migrations/ in a folder
// of their own with production dependencies only (npm ci --omit=dev), started as `npm start`
// starts it: health and readiness, the docs and the dashboard, one ETL run through the API against
// the fake Alpha Vantage (scripts/fake-alpha-vantage.ts), SIGTERM and exit 0, the `market-data`
// command; then a second start on the now existing data directory, timed (printed, not judged).
//   npm run build && node --import tsx scripts/smoke-dist.ts
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/helpers/private-postgres.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const KEY = 'smoke-alpha-vantage-key';
const API_KEY = 'smoke-api-key-0123456789';

function check(ok: unknown, what: string): void {
  if (!ok) throw new Error(`smoke test: ${what}`);
  console.log(`ok   ${what}`);
}

for (const built of ['dist/main.js', 'dist/cli/market-data.js', 'dist/vendor/redoc.standalone.js', 'web/dist/index.html']) {
  if (!fs.existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run npm run build first`);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-smoke-'));
const app = path.join(dir, 'app');
const children: ChildProcess[] = [];
try {
  // What the image's runtime stage holds.
  for (const item of ['package.json', 'package-lock.json', 'dist', 'web/dist', 'migrations']) {
    fs.cpSync(path.join(ROOT, item), path.join(app, item), { recursive: true });
  }
  const started = Date.now();
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, stdio: 'inherit' });
  check(true, `production dependencies installed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  for (const devOnly of ['tsx', 'redoc', 'typescript', 'vite']) check(!fs.existsSync(path.join(app, 'node_modules', devOnly)), `${devOnly} is not installed`);

  const help = execFileSync('npx', ['--no-install', 'market-data', '--help'], { cwd: app, encoding: 'utf8' });
  check(/usage: market-data <command>/.test(help) && /serve/.test(help) && /plan/.test(help), 'npx market-data --help');

  const fake = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/fake-alpha-vantage.ts'), '--days', '300', '--key', KEY], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(fake);
  const fakeUrl = await new Promise<string>((resolve, reject) => {
    fake.stdout!.once('data', (d) => resolve(String(d).trim()));
    fake.once('exit', (code) => reject(new Error(`the fake Alpha Vantage exited with ${code}`)));
  });

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', PORT: String(port), DATA_DIR: path.join(dir, 'data'),
    API_KEY, ALPHA_VANTAGE_API_KEY: KEY, ALPHA_VANTAGE_BASE_URL: fakeUrl, ALPHA_VANTAGE_MIN_INTERVAL_MS: '0',
    // A new ticker costs six requests on a free key (every dataset, and full daily history refused).
    ALPHA_VANTAGE_REQUESTS_PER_MINUTE: '1000', ALPHA_VANTAGE_REQUESTS_PER_DAY: '1000',
    ETL_ENABLED: 'false', LOG_FORMAT: 'json', LOG_LEVEL: 'warn',
  };
  // `npm start`'s command itself, so that SIGTERM and the exit code are the service's, not npm's.
  const start = (JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const [command, ...args] = start.split(' ');
  check(command === 'node', `npm start runs ${start}`);
  const get = async (p: string, init?: RequestInit) => fetch(`${url}${p}`, { ...init, signal: AbortSignal.timeout(60_000) });
  const serve = async () => {
    const launched = Date.now();
    const service = spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(service);
    const exited = new Promise<number | null>((resolve) => service.once('exit', (code) => resolve(code)));
    for (;;) {
      const status = await get('/api/v1/health').then((r) => r.status, () => 0);
      if (status === 200) break;
      if (service.exitCode !== null || Date.now() - launched > 60_000) throw new Error('the service did not become healthy');
      await sleep(10);
    }
    return { service, exited, ms: Date.now() - launched };
  };
  const { service, exited, ms } = await serve();
  check(true, `health 200 after ${ms} ms (a new data directory, migrations included)`);
  check((await get('/api/v1/health/ready')).status === 200, 'ready 200');
  check((await get('/docs/')).status === 200, '/docs 200');
  const redoc = await get('/redoc/redoc.standalone.js');
  check(redoc.status === 200 && (await redoc.text()).length > 500_000, 'ReDoc bundle served from dist/vendor');
  check((await (await get('/')).text()).includes('<script'), 'the dashboard is served');

  const run = await get('/api/v1/etl/run?tickers=IBM', { method: 'POST', headers: { 'x-api-key': API_KEY } });
  const result = await run.json() as {
    status: string; successful: number; total_loaded: number;
    details: { datasets: { dataset: string; inserted: number }[] }[];
  };
  check(run.status === 200 && result.status === 'completed' && result.successful === 1 && result.total_loaded > 0,
    `one ETL run against the fake Alpha Vantage: ${JSON.stringify({ status: result.status, successful: result.successful, loaded: result.total_loaded })}`);
  const listed = await (await get('/api/v1/market-data?ticker=IBM&size=1')).json() as { total: number };
  const daily = result.details[0]?.datasets.find((d) => d.dataset === 'daily')?.inserted;
  check(daily && listed.total === daily, `the daily bars are listed (${listed.total})`);

  service.kill('SIGTERM');
  const code = await exited;
  check(code === 0, `SIGTERM: exit ${code}`);

  const etl = execFileSync('npx', ['--no-install', 'market-data', 'etl', '--tickers', 'MSFT'], { cwd: app, env, encoding: 'utf8' });
  check(/run \d+ completed: 1 ok, 0 failed/.test(etl), 'market-data etl --tickers MSFT');

  const again = await serve();
  check(true, `restarted on the existing data directory: health 200 after ${again.ms} ms`);
  again.service.kill('SIGTERM');
  check((await again.exited) === 0, 'SIGTERM: exit 0');
  console.log('smoke test passed');
} finally {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
}
