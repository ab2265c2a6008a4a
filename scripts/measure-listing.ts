// One-off measurement: page 1, a keyset page deep in the table and the same depth by page
// number, timed sequentially against a running service.
//   node --import tsx scripts/measure-listing.ts http://127.0.0.1:8000 postgresql://…/db [depth]
import pg from 'pg';
import { encodeCursor } from '../src/http/cursor.ts';

const [base = 'http://127.0.0.1:8000', dbUrl, depthArg] = process.argv.slice(2);
if (!dbUrl) throw new Error('usage: measure-listing.ts BASE_URL DATABASE_URL [DEPTH_ROWS]');
const size = 50;
const depth = Number(depthArg ?? 999_950);

// The row just before the deep page, to build the cursor a client would hold after walking there.
const client = new pg.Client({ connectionString: dbUrl, types: { getTypeParser: () => (v: string) => v } });
await client.connect();
const { rows } = await client.query('SELECT date, ticker FROM market_data ORDER BY date DESC, ticker ASC OFFSET $1 LIMIT 1', [depth - 1]);
const { rows: [{ n }] } = await client.query('SELECT count(*) AS n FROM market_data');
await client.end();
const cursor = encodeCursor({ date: rows[0].date, ticker: rows[0].ticker, order: 'desc', page: depth / size + 1, interval: '1d' });

async function time(path: string, runs = 50): Promise<{ median: number; p95: number; total: number }> {
  const ms: number[] = [];
  let total = 0;
  for (let i = 0; i < runs + 5; i++) {
    const t0 = performance.now();
    const res = await fetch(base + path);
    const body = (await res.json()) as { total: number; items: unknown[] };
    const took = performance.now() - t0;
    if (res.status !== 200 || body.items.length !== size) throw new Error(`${path}: ${res.status}`);
    total = body.total;
    if (i >= 5) ms.push(took); // the first few warm up connections and plans
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, p95: ms[Math.floor(ms.length * 0.95)]!, total };
}

const fmt = (r: { median: number; p95: number }) => `median ${r.median.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms`;
console.log(`table: ${n} rows; depth ${depth} rows (page ${depth / size + 1} of size ${size})`);
const first = await time(`/api/v1/market-data?size=${size}`);
console.log(`page 1:                ${fmt(first)} (total=${first.total})`);
const deep = await time(`/api/v1/market-data?size=${size}&cursor=${cursor}`);
console.log(`keyset page at depth:  ${fmt(deep)} (ratio to page 1: ${(deep.median / first.median).toFixed(2)})`);
const offset = await time(`/api/v1/market-data?size=${size}&page=${depth / size + 1}`, 10);
console.log(`page= at same depth:   ${fmt(offset)}`);
