// A fake Alpha Vantage on loopback that answers like the real one: the documented success and
// failure bodies (failures with HTTP 200), compact (newest 100) and full series, and the faults
// the network adds. It records every request it sees.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BODIES, seriesBody, syntheticBars, type FailureBody, type SeriesBar } from '../fixtures/alpha-vantage.ts';

export type Behaviour =
  | { data: SeriesBar[] } // a series: compact serves the newest 100 of these
  | { synthetic: number; end?: string } // `synthetic` generated weekdays ending at `end`
  | { fail: FailureBody } // one of the documented bodies, with HTTP 200
  | { body: string; status?: number; contentType?: string } // anything, verbatim
  | { http: number } // an HTTP error status
  | { drop: true } // close the connection without answering
  | { delayMs: number; then: Behaviour }; // answer late

export interface SeenRequest { at: number; symbol: string; outputsize: string; apikey: string; function: string }

export interface FakeAlphaVantage {
  url: string;
  requests: SeenRequest[];
  /** Sets what a symbol gets; an array is served in turn, its last entry repeated. */
  set(symbol: string, behaviour: Behaviour | Behaviour[]): void;
  close(): Promise<void>;
}

export interface FakeOptions {
  /** The key the fake accepts; others get the invalid-key body. `demo` is accepted for IBM only. */
  key?: string;
  /** What unknown symbols get (default: the invalid-symbol body). */
  fallback?: Behaviour;
  symbols?: Record<string, Behaviour | Behaviour[]>;
}

const DEFAULT_DAYS = 300;

export async function startFakeAlphaVantage(options: FakeOptions = {}): Promise<FakeAlphaVantage> {
  const plans = new Map<string, Behaviour[]>();
  const served = new Map<string, number>();
  const bodies = new Map<string, string>(); // generated series, by symbol/size
  const requests: SeenRequest[] = [];
  for (const [symbol, b] of Object.entries(options.symbols ?? {})) plans.set(symbol, [b].flat());

  function behaviourFor(symbol: string): Behaviour {
    const plan = plans.get(symbol);
    if (!plan) return options.fallback ?? { fail: 'invalid_symbol' };
    const n = served.get(symbol) ?? 0;
    served.set(symbol, n + 1);
    return plan[Math.min(n, plan.length - 1)]!;
  }

  function seriesFor(symbol: string, bars: SeriesBar[] | undefined, synthetic: { days: number; end?: string } | undefined, size: string): string {
    const full = size === 'full';
    const key = `${symbol}/${full}/${synthetic ? `${synthetic.days}/${synthetic.end}` : ''}`;
    if (synthetic && bodies.has(key)) return bodies.get(key)!;
    const all = bars ?? syntheticBars(symbol, synthetic!.days, synthetic!.end);
    const body = seriesBody(symbol, full ? all : all.slice(-100), full ? 'Full size' : 'Compact');
    if (synthetic) bodies.set(key, body);
    return body;
  }

  async function answer(res: http.ServerResponse, b: Behaviour, symbol: string, size: string): Promise<void> {
    if ('delayMs' in b) {
      await new Promise((r) => setTimeout(r, b.delayMs));
      return answer(res, b.then, symbol, size);
    }
    if ('drop' in b) {
      res.socket?.destroy();
      return;
    }
    let status = 200;
    let type = 'application/json';
    let body: string;
    if ('data' in b) body = seriesFor(symbol, b.data, undefined, size);
    else if ('synthetic' in b) body = seriesFor(symbol, undefined, { days: b.synthetic, end: b.end }, size);
    else if ('fail' in b) body = BODIES[b.fail];
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
    const seen: SeenRequest = { at: Date.now(), symbol: q.symbol ?? '', outputsize: q.outputsize ?? 'compact', apikey: q.apikey ?? '', function: q.function ?? '' };
    requests.push(seen);
    let b: Behaviour;
    if (url.pathname !== '/query' || seen.function !== 'TIME_SERIES_DAILY' || !seen.symbol) b = { fail: 'invalid_symbol' };
    else if (!seen.apikey) b = { fail: 'invalid_key' };
    else if (seen.apikey === 'demo' && options.key !== 'demo') b = seen.symbol === 'IBM' ? behaviourFor('IBM') : { fail: 'demo_key' };
    else if (options.key && seen.apikey !== options.key) b = { fail: 'invalid_key' };
    else b = behaviourFor(seen.symbol);
    answer(res, b, seen.symbol, seen.outputsize).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/query`,
    requests,
    set(symbol, behaviour) {
      plans.set(symbol, [behaviour].flat());
      served.delete(symbol);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export { DEFAULT_DAYS };
