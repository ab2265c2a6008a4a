// Alpha Vantage answers are read up to ALPHA_VANTAGE_MAX_BODY_BYTES: a larger one (declared or
// streamed without a length) is refused as "too large" without being read whole, and the refusal
// names the setting, never the key.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlphaVantageClient } from '../../../src/sources/alpha-vantage/client.ts';

const KEY = 'AVKEY-body-cap-0123456789';
const CAP = 1_048_576;
let server: http.Server;
let url: string;
let streamed = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const symbol = new URL(req.url!, 'http://x').searchParams.get('symbol');
    if (symbol === 'DECLARED') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(80 * CAP) });
      res.write('{"Meta Data":'); // then nothing: the client must not wait for 80 MB
      return;
    }
    if (symbol === 'STREAMED') {
      // No length: 64 kB chunks until the client stops reading.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(65_536, 0x20);
      const pump = () => {
        while (!res.destroyed && streamed < 80 * CAP) {
          streamed += chunk.length;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => res.destroy());
      return pump();
    }
    const body = JSON.stringify({ 'Meta Data': { '2. Symbol': symbol }, 'Time Series (Daily)': {} });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/query`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('the Alpha Vantage body cap', () => {
  /** Runs `use` with a client capped at CAP, closed afterwards whatever happens. */
  async function withClient(use: (c: AlphaVantageClient) => Promise<void>): Promise<void> {
    const c = new AlphaVantageClient({ baseUrl: url, apiKey: KEY, timeoutMs: 10_000, maxBodyBytes: CAP, redact: (t) => t.replaceAll(KEY, '***') });
    try {
      await use(c);
    } finally {
      await c.close();
    }
  }
  const daily = (c: AlphaVantageClient, symbol: string) => c.request('TIME_SERIES_DAILY', { symbol, outputsize: 'compact' });

  it('refuses an answer that declares more than the cap, without reading it', () => withClient(async (c) => {
    const started = performance.now();
    const outcome = await daily(c, 'DECLARED');
    expect(outcome).toEqual({ kind: 'too_large', message: expect.stringMatching(/^the answer exceeds 1\.0 MB \(ALPHA_VANTAGE_MAX_BODY_BYTES\); 80\.0 MB or more was sent$/) });
    expect(performance.now() - started).toBeLessThan(5_000); // not waiting for the 80 MB
  }));

  it('stops reading an answer without a length once it passes the cap', () => withClient(async (c) => {
    const outcome = await daily(c, 'STREAMED');
    expect(outcome.kind).toBe('too_large');
    expect(JSON.stringify(outcome)).not.toContain(KEY);
    // The server was stopped long before its 80 MB: the client cancelled the body.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(streamed).toBeLessThan(16 * CAP);
  }));

  it('reads an answer under the cap as usual', () => withClient(async (c) => {
    expect((await daily(c, 'SMALL')).kind).not.toBe('too_large');
  }));
});
