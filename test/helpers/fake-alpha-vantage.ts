// A fake Alpha Vantage on loopback that answers like the 2026 service: daily series (compact: the
// newest 100; full: everything, refused on the free tier with the exact premium-feature body),
// weekly and monthly series aggregated from the same daily bars, SPLITS and DIVIDENDS, the premium
// endpoints refused on the free tier, the documented failure bodies (HTTP 200), and the faults the
// network adds. It records every request it sees. (Facts: ../shared/alpha-vantage.md.)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  aggregateBars, BODIES, dividendsBody, invalidCall, periodBody, seriesBody, splitsBody, syntheticBars, syntheticDividends,
  type DividendRow, type FailureBody, type SeriesBar, type SplitRow,
} from '../fixtures/alpha-vantage.ts';

/** Corporate actions served beside a symbol's bars (default: none; synthetic series get quarterly dividends). */
interface Actions { splits?: SplitRow[]; dividends?: DividendRow[] }

export type Behaviour =
  | ({ data: SeriesBar[] } & Actions) // a daily series; compact serves the newest 100, weekly/monthly aggregate it
  | ({ synthetic: number; end?: string } & Actions) // `synthetic` generated weekdays ending at `end`
  | { fail: FailureBody } // one of the documented bodies, with HTTP 200
  | { body: string; status?: number; contentType?: string } // anything, verbatim
  | { http: number } // an HTTP error status
  | { drop: true } // close the connection without answering
  | { delayMs: number; then: Behaviour }; // answer late

export type Tier = 'free' | 'premium';

export const FUNCTIONS = ['TIME_SERIES_DAILY', 'TIME_SERIES_WEEKLY', 'TIME_SERIES_MONTHLY', 'SPLITS', 'DIVIDENDS'] as const;
export type FakeFunction = (typeof FUNCTIONS)[number];
/** Premium-only endpoints: refused on the free tier, and not served by this fake on premium either. */
const PREMIUM_ENDPOINTS = new Set(['TIME_SERIES_DAILY_ADJUSTED', 'TIME_SERIES_INTRADAY']);

export interface SeenRequest { at: number; symbol: string; outputsize: string; apikey: string; function: string }

export interface FakeAlphaVantage {
  url: string;
  requests: SeenRequest[];
  tier: Tier;
  /**
   * Sets what a symbol gets, for every function or for one (`fn`); an array is served in turn
   * (per function), its last entry repeated.
   */
  set(symbol: string, behaviour: Behaviour | Behaviour[], fn?: FakeFunction): void;
  /** The bars a symbol's series holds now (what a full daily answer lists), oldest first. */
  bars(symbol: string): SeriesBar[];
  close(): Promise<void>;
}

export interface FakeOptions {
  /** The key the fake accepts; others get the invalid-key body. `demo` is accepted for IBM only. */
  key?: string;
  /** What the key may fetch: `free` (default) refuses outputsize=full and the premium endpoints. */
  tier?: Tier;
  /** What unknown symbols get (default: the invalid-symbol body; `{}` for SPLITS and DIVIDENDS). */
  fallback?: Behaviour;
  symbols?: Record<string, Behaviour | Behaviour[]>;
}

const DEFAULT_DAYS = 300;
const COMPACT = 100;

export async function startFakeAlphaVantage(options: FakeOptions = {}): Promise<FakeAlphaVantage> {
  const tier = options.tier ?? 'free';
  const plans = new Map<string, Behaviour[]>(); // by symbol, or `symbol fn`
  const served = new Map<string, number>();
  const cache = new Map<string, string>(); // generated bodies of synthetic series
  const requests: SeenRequest[] = [];
  for (const [symbol, b] of Object.entries(options.symbols ?? {})) plans.set(symbol, [b].flat());

  function behaviourFor(symbol: string, fn: string): Behaviour | undefined {
    const key = plans.has(`${symbol} ${fn}`) ? `${symbol} ${fn}` : symbol;
    const plan = plans.get(key);
    if (!plan) return options.fallback;
    const counter = `${key}|${fn}`;
    const n = served.get(counter) ?? 0;
    served.set(counter, n + 1);
    return plan[Math.min(n, plan.length - 1)]!;
  }

  const seriesOf = (symbol: string, b: Extract<Behaviour, { data: SeriesBar[] } | { synthetic: number }>): SeriesBar[] =>
    'data' in b ? b.data : syntheticBars(symbol, b.synthetic, b.end);

  function dataBody(symbol: string, fn: string, size: string, b: Extract<Behaviour, { data: SeriesBar[] } | { synthetic: number }>): string {
    const key = 'synthetic' in b ? `${symbol}/${fn}/${size}/${b.synthetic}/${b.end}` : undefined;
    if (key && cache.has(key)) return cache.get(key)!;
    const all = seriesOf(symbol, b);
    let body: string;
    switch (fn) {
      case 'TIME_SERIES_WEEKLY': body = periodBody(symbol, aggregateBars(all, '1w'), '1w'); break;
      case 'TIME_SERIES_MONTHLY': body = periodBody(symbol, aggregateBars(all, '1mo'), '1mo'); break;
      case 'SPLITS': body = splitsBody(symbol, b.splits ?? []); break;
      case 'DIVIDENDS': body = dividendsBody(symbol, b.dividends ?? ('synthetic' in b ? syntheticDividends(symbol, all) : [])); break;
      default: body = size === 'full' ? seriesBody(symbol, all, 'Full size') : seriesBody(symbol, all.slice(-COMPACT), 'Compact');
    }
    if (key) cache.set(key, body);
    return body;
  }

  async function answer(res: http.ServerResponse, b: Behaviour | undefined, symbol: string, fn: string, size: string): Promise<void> {
    if (b && 'delayMs' in b) {
      await new Promise((r) => setTimeout(r, b.delayMs));
      return answer(res, b.then, symbol, fn, size);
    }
    if (b && 'drop' in b) {
      res.socket?.destroy();
      return;
    }
    let status = 200;
    let type = 'application/json';
    let body: string;
    if (!b) body = fn === 'SPLITS' || fn === 'DIVIDENDS' ? BODIES.empty : invalidCall(fn);
    else if ('data' in b || 'synthetic' in b) body = dataBody(symbol, fn, size, b);
    else if ('fail' in b) body = b.fail === 'invalid_symbol' ? invalidCall(fn) : BODIES[b.fail];
    else if ('http' in b) {
      status = b.http;
      type = 'text/html';
      body = `<html><body><h1>${status}</h1></body></html>`;
    } else {
      status = b.status ?? 200;
      type = b.contentType ?? 'application/json';
      body = b.body;
    }
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const q = Object.fromEntries(url.searchParams);
    const fn = q.function ?? '';
    const seen: SeenRequest = { at: Date.now(), symbol: q.symbol ?? '', outputsize: q.outputsize ?? 'compact', apikey: q.apikey ?? '', function: fn };
    requests.push(seen);
    let b: Behaviour | undefined;
    const known = (FUNCTIONS as readonly string[]).includes(fn);
    if (url.pathname !== '/query' || (!known && !PREMIUM_ENDPOINTS.has(fn)) || !seen.symbol) b = { body: invalidCall(fn || 'the requested function') };
    else if (!seen.apikey) b = { fail: 'invalid_key' };
    else if (seen.apikey === 'demo' && options.key !== 'demo') b = seen.symbol === 'IBM' ? behaviourFor('IBM', fn) : { fail: 'demo_key' };
    else if (options.key && seen.apikey !== options.key) b = { fail: 'invalid_key' };
    else if (PREMIUM_ENDPOINTS.has(fn)) b = tier === 'free' ? { fail: 'premium' } : { body: invalidCall(fn) };
    else if (tier === 'free' && fn === 'TIME_SERIES_DAILY' && seen.outputsize === 'full') b = { fail: 'premium_full' };
    else b = behaviourFor(seen.symbol, fn);
    answer(res, b, seen.symbol, fn, seen.outputsize).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/query`,
    requests,
    tier,
    set(symbol, behaviour, fn) {
      const key = fn ? `${symbol} ${fn}` : symbol;
      plans.set(key, [behaviour].flat());
      for (const k of [...served.keys()]) if (k.startsWith(`${key}|`) || (!fn && k.startsWith(`${symbol} `))) served.delete(k);
      if (!fn) for (const k of [...plans.keys()]) if (k.startsWith(`${symbol} `)) plans.delete(k);
    },
    bars(symbol) {
      const b = plans.get(symbol)?.find((x) => 'data' in x || 'synthetic' in x) ?? options.fallback;
      return b && ('data' in b || 'synthetic' in b) ? seriesOf(symbol, b) : [];
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export { DEFAULT_DAYS };
