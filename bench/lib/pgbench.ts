// The database's own ceiling for each scenario: pgbench replaying exactly the SQL the service sends
// for it (built by the same functions), as prepared statements with the same client count.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildList, GET_SQL, INSERT_SQL, type Keyset } from '../../src/db/index.ts';
import type { LoadResult } from './http-load.ts';

export type SqlScenario = 's1' | 's1t' | 's2' | 's3' | 's3c' | 's4' | 's5' | 's6' | 'w20';

const quote = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);

/** Replaces $n with pgbench expressions (for sentinels) or literals. */
function bind(text: string, params: unknown[], vars: Record<string, string> = {}): string {
  return text.replace(/\$(\d+)/g, (_m, n: string) => {
    const value = params[Number(n) - 1];
    return typeof value === 'string' && value in vars ? vars[value]! : quote(value);
  });
}

const oneLine = (sql: string) => `${sql.replace(/\s+/g, ' ').trim()};`;

export function scriptFor(scenario: SqlScenario, cursorAt: Keyset): string {
  switch (scenario) {
    case 's1':
    case 's1t': {
      const adjustment = scenario === 's1t' ? 'total' : 'raw';
      const { text, params } = buildList({ tickers: ['@T'], startDate: '@S', endDate: '@E', order: 'desc', adjustment }, { size: 50, offset: 0 });
      return ['\\set t random(1, :ntickers)', '\\set off random(0, :span)',
        oneLine(bind(text, params, {
          '@T': `('T' || lpad(:t::text, 4, '0'))`, '@S': `(:first_date::date + :off::integer)`, '@E': `(:first_date::date + :off::integer + 364)`,
        }))].join('\n');
    }
    case 'w20': {
      const { text, params } = buildList({ tickers: ['T0001'], order: 'desc', interval: '1w' }, { size: 50, offset: 0 });
      return oneLine(bind(text, params));
    }
    case 's2': {
      const { text, params } = buildList({ order: 'desc' }, { size: 50, offset: 0 });
      return oneLine(bind(text, params));
    }
    case 's3': {
      const { text, params } = buildList({ order: 'desc' }, { size: 50, offset: 19_999 * 50 });
      return oneLine(bind(text, params));
    }
    case 's3c': {
      const { text, params } = buildList({ order: 'desc' }, { size: 50, after: cursorAt });
      return oneLine(bind(text, params));
    }
    case 's4':
      return ['\\set id random(1, :max_id)', oneLine(GET_SQL.replace('$1', ':id::bigint'))].join('\n');
    case 's5':
      return 'SELECT 1;';
    case 's6':
      return ['\\set r random(1, 999999999999)', '\\set d random(0, 15000)',
        oneLine(INSERT_SQL.replace('$1', `('ZZP' || :r)`).replace('$2', `(date '1950-01-02' + :d::integer)`)
          .replace('$3', `'100.25'`).replace('$4', `'101.5'`).replace('$5', `'99.75'`).replace('$6', `'100.5'`).replace('$7', '123456'))].join('\n');
  }
}

export interface PgbenchVars { ntickers: number; firstDate: string; span: number; maxId: number }

/** pgbench with one thread per client (fewer threads make pgbench's clock coarse: see the peer's notes). */
export async function pgbench(url: string, scenario: SqlScenario, cursorAt: Keyset, vars: PgbenchVars, clients: number, seconds: number): Promise<LoadResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-pgbench-'));
  try {
    const script = path.join(dir, `${scenario}.sql`);
    fs.writeFileSync(script, `${scriptFor(scenario, cursorAt)}\n`);
    const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', String(clients), '-T', String(seconds),
      '-D', `ntickers=${vars.ntickers}`, '-D', `first_date=${vars.firstDate}`, '-D', `span=${vars.span}`, '-D', `max_id=${vars.maxId}`,
      '-l', `--log-prefix=${path.join(dir, 'log')}`, '-f', script, url];
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('pgbench', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d) => { text += d; });
      child.stderr.on('data', (d) => { text += d; });
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`pgbench ${scenario} exited ${code}:\n${text.slice(-2000)}`))));
    });
    const tps = Number(/^tps = ([\d.]+)/m.exec(out)?.[1] ?? NaN);
    const done = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? 0);
    const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
    // Per-transaction log lines: client tx_no latency_us script epoch epoch_us
    const latencies = fs.readdirSync(dir).filter((f) => f.startsWith('log'))
      .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'))
      .map((l) => Number(l.split(' ')[2])).filter((n) => Number.isFinite(n)).sort((a, b) => a - b);
    const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]! / 1000 : NaN);
    return { rps: tps, p50_ms: pct(0.5), p99_ms: pct(0.99), errors: failed, requests: done, non2xx: 0 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
