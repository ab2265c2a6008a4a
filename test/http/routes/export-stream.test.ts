// An export over real HTTP, where the client sets the pace: one that keeps reading, however
// slowly, gets every row even when that takes longer than REQUEST_TIMEOUT_MS; one that stops
// reading is cut once it has taken nothing for REQUEST_TIMEOUT_MS, with a warn line saying how
// many rows it had been sent.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../../helpers/app.ts';
import { DATABASE_KINDS, openTestDatabase, type TestDatabase } from '../../helpers/databases.ts';

const ROWS = 250_000;
// Long enough that a reader starved by a busy 2-core host (it shares the test's thread) never pauses as long.
const TIMEOUT_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DATABASE_KINDS)('export pace on %s', (kind) => {
  let t: TestDatabase;
  let app: Awaited<ReturnType<typeof testApp>>;
  let port: number;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    // 50 tickers × 5,000 days, in statements of 50k rows (each well within the statement timeout).
    for (let first = 1; first <= 50; first += 10) {
      await t.db.query(`INSERT INTO market_data (ticker, date, open, high, low, close, volume)
        SELECT 'X' || lpad(n::text, 3, '0'), date '1990-01-01' + d, 10.25, 11.5, 9.75, 10.5, 1000 + d
        FROM generate_series($1::int, $1::int + 9) n, generate_series(0, 4999) d`, [first]);
    }
    await t.db.exec('ANALYZE market_data'); // as the service's maintenance would
    app = await testApp(t.db, { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), LOG_LEVEL: 'info' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  const get = () => new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/api/v1/market-data/export?order=asc' }, resolve).on('error', reject);
  });

  it('sends every row to a client that reads slowly for longer than REQUEST_TIMEOUT_MS', async () => {
    const res = await get();
    expect(res.statusCode).toBe(200);
    res.pause();
    const chunks: Buffer[] = [];
    const started = Date.now();
    let ended = false;
    res.on('end', () => { ended = true; });
    res.on('aborted', () => { ended = true; });
    while (!ended) {
      // ~1.25 MB a second: about 10 s for ~12 MB (more than twice the timeout), never a pause as long.
      for (let chunk; (chunk = res.read(128 * 1024) as Buffer | null) !== null;) chunks.push(chunk);
      if (res.readableEnded) break;
      await sleep(100);
      if (!res.readableLength) await new Promise((r) => { res.once('readable', r); setTimeout(r, 200); });
    }
    for (let chunk; (chunk = res.read() as Buffer | null) !== null;) chunks.push(chunk);
    const took = Date.now() - started;
    const body = Buffer.concat(chunks).toString('utf8');
    const lines = body.split('\r\n');
    expect(res.complete).toBe(true);
    expect(took).toBeGreaterThan(TIMEOUT_MS * 2);
    expect(lines.at(-1)).toBe(''); // ends with CRLF
    expect(lines.length - 2).toBe(ROWS); // the header, and the empty string after the last CRLF
    expect(lines[1]).toBe('1990-01-01,X001,10.25,11.5,9.75,10.5,1000');
    expect(app.logLines.filter((l) => l.includes('export cut'))).toEqual([]);
  }, 120_000);

  it('cuts an export whose client stops reading, after the idle timeout, with a warn line', async () => {
    const res = await get();
    expect(res.statusCode).toBe(200);
    const first = await new Promise<Buffer>((resolve) => res.once('data', resolve));
    expect(first.length).toBeGreaterThan(0);
    res.pause(); // and read nothing more
    const stopped = Date.now();
    const before = app.logLines.length;
    const cutLines = () => app.logLines.slice(before).map((l) => JSON.parse(l) as { level: string; msg: string; rows_sent?: number }).filter((l) => l.msg.startsWith('export cut'));
    while (!cutLines().length && Date.now() - stopped < TIMEOUT_MS * 15) await sleep(50);
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    const cut = cutLines();
    expect(cut).toHaveLength(1);
    expect(cut[0]!.level).toBe('warn');
    expect(cut[0]!.rows_sent).toBeGreaterThan(0);
    expect(cut[0]!.rows_sent).toBeLessThan(ROWS);
    // What was already in the buffers still arrives, and then the body ends short.
    res.resume();
    await new Promise((resolve) => { res.once('close', resolve); res.once('end', resolve); });
    expect(res.complete).toBe(false);
  }, 60_000);
});
