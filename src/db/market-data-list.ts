// Listings of market_data. Each listing variant (which filters, keyset or offset) is its own SQL
// text and its own prepared statement, so PostgreSQL plans it for the indexes it can use rather
// than one generic plan full of `$1 IS NULL OR …`. Concurrent listings of one variant share a
// statement (see batchedList).
import { Batcher, type BatcherOptions } from './batcher.ts';
import type { Queryable } from './database.ts';
import { RECORD_JSON } from './record-json.ts';

export type Order = 'asc' | 'desc';

export interface ListFilter {
  tickers?: string[];
  startDate?: string;
  endDate?: string;
  order: Order;
}

/** The last row of the previous page, for keyset pagination. */
export interface Keyset { date: string; ticker: string }

export interface ListPage {
  size: number;
  offset?: number;
  after?: Keyset;
}

export interface Built {
  name: string;
  text: string;
  params: unknown[];
  /** PostgreSQL type of each parameter. */
  types: string[];
}

/**
 * From this many rows deep, a page without a ticker filter is found through the per-day counts
 * instead of an OFFSET over the index: OFFSET reads and discards every row before the page
 * (~1 s at a million rows), the counts locate the page's first day at once.
 */
export const SEEK_FROM_ROWS = 1000;

/** The SQL of one listing (exported for the benchmark, which replays it through pgbench). */
export function buildList(filter: ListFilter, page: ListPage): Built {
  const params: unknown[] = [];
  const types: string[] = [];
  const add = (value: unknown, type: string): string => {
    types.push(type);
    return `$${params.push(value)}`;
  };
  const rowConds: string[] = [];
  const dateConds: string[] = [];
  const key: string[] = [filter.order];

  if (filter.tickers?.length === 1) {
    rowConds.push(`ticker = ${add(filter.tickers[0], 'varchar')}`);
    key.push('t1');
  } else if (filter.tickers?.length) {
    rowConds.push(`ticker = ANY(${add(filter.tickers, 'varchar[]')}::varchar[])`);
    key.push('tn');
  }
  if (filter.startDate) {
    dateConds.push(`date >= ${add(filter.startDate, 'date')}::date`);
    key.push('s');
  }
  if (filter.endDate) {
    dateConds.push(`date <= ${add(filter.endDate, 'date')}::date`);
    key.push('e');
  }
  const where = (conds: string[]): string => (conds.length ? `WHERE ${conds.join(' AND ')}` : '');

  // Without a ticker filter the total comes from the counts kept by triggers — their grand total,
  // or the days in the range — plus the deltas not yet folded in (migrations 0002, 0005); with
  // one, counting index entries of those tickers is already cheap.
  const total = filter.tickers?.length
    ? `SELECT count(*) FROM market_data ${where([...rowConds, ...dateConds])}`
    : `SELECT ((SELECT ${dateConds.length ? `coalesce(sum(rows), 0) FROM market_data_day_counts ${where(dateConds)}` : 'rows FROM market_data_total'})
            + (SELECT coalesce(sum(rows), 0) FROM market_data_day_count_deltas ${where(dateConds)}))::bigint`;

  const pageConds = [...rowConds, ...dateConds];
  let keyset: { d: string; t: string } | undefined;
  if (page.after) {
    keyset = { d: add(page.after.date, 'date'), t: add(page.after.ticker, 'varchar') };
    key.push('k');
  }
  const limit = add(page.size, 'int');
  const dir = filter.order === 'desc' ? 'DESC' : 'ASC';
  let offset = '';
  let seek = '';
  if (!page.after && page.offset && !filter.tickers?.length && page.offset >= SEEK_FROM_ROWS) {
    // The day holding row number `offset` (running sum of the day counts, in page order), and
    // how many of that day's rows come before it; the page starts there. One snapshot serves
    // both, so the counts and the rows agree.
    const o = add(page.offset, 'bigint');
    seek = `seek AS (
  SELECT date AS day, (${o}::bigint - before)::bigint AS skip
  FROM (SELECT date, rows, sum(rows) OVER (ORDER BY date ${dir}) - rows AS before
        FROM market_data_day_totals ${where(dateConds)}) AS c
  WHERE before + rows > ${o}::bigint
  ORDER BY date ${dir} LIMIT 1
),
`;
    pageConds.push(`date ${dir === 'DESC' ? '<=' : '>='} (SELECT day FROM seek)`);
    offset = ' OFFSET (SELECT skip FROM seek)';
    key.push('seek');
  } else if (!page.after && page.offset) {
    offset = ` OFFSET ${add(page.offset, 'bigint')}`;
    key.push('o');
  }
  // The page's records as one JSON array (record-json.ts), its size, and its last row's key for
  // the next cursor.
  const order = `ORDER BY date ${dir}, ticker ASC`;
  // After a cursor: the rest of the cursor's day, then the days beyond it — two ranges each
  // read straight from an index. (date DESC, ticker ASC) cannot be one row comparison, and
  // `date <= d AND (date < d OR ticker > t)` reads and discards the day's earlier tickers, up to
  // 500 rows here: page 20,001 cost twice page 1.
  const pageSql = keyset
    ? `(SELECT * FROM market_data ${where([...pageConds, `date = ${keyset.d}::date`, `ticker > ${keyset.t}`])} ORDER BY ticker ASC LIMIT ${limit})
  UNION ALL
  (SELECT * FROM market_data ${where([...pageConds, `date ${dir === 'DESC' ? '<' : '>'} ${keyset.d}::date`])} ${order} LIMIT ${limit})
  ${order} LIMIT ${limit}`
    : `SELECT * FROM market_data ${where(pageConds)} ${order} LIMIT ${limit}${offset}`;
  const text = `WITH ${seek}page AS (
  ${pageSql}
)
SELECT (${total}) AS total,
  (SELECT count(*) FROM page) AS count,
  (SELECT concat('[', string_agg(${RECORD_JSON}, ',' ORDER BY date ${dir}, ticker ASC), ']') FROM page) AS items,
  (SELECT ARRAY[date::text, ticker] FROM page ORDER BY date ${dir === 'DESC' ? 'ASC' : 'DESC'}, ticker DESC LIMIT 1) AS last`;
  return { name: `market_data_list_${key.join('_')}`, text, params, types };
}

export interface ListResult {
  total: number;
  /** Rows on the page. */
  count: number;
  /** The page's records: a JSON array, as sent. */
  items: string;
  /** The page's last row, for the next cursor. */
  last?: Keyset;
}

type ListRow = { total: number | string; count: number; items: string; last: string[] | null };

const toResult = ({ total, count, items, last }: ListRow): ListResult => ({
  total: Number(total), count: Number(count), items,
  last: last ? { date: last[0]!, ticker: last[1]! } : undefined,
});

async function runList(db: Queryable, { name, text, params }: Built): Promise<ListResult> {
  const { rows } = await db.query<ListRow>(text, params, { name });
  return toResult(rows[0]!);
}

export function listMarketData(db: Queryable, filter: ListFilter, page: ListPage): Promise<ListResult> {
  return runList(db, buildList(filter, page));
}

/**
 * The same listing for many requests at once: each request's parameters become a row of unnest,
 * and the listing runs LATERAL once per row — one statement, one round trip.
 */
function batchOf(built: Built): string {
  const columns = built.types.map((_, i) => `p${i + 1}`);
  const arrays = built.types.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
  const lateral = built.text.replace(/\$(\d+)/g, (_m, n: string) => `q.p${n}`);
  return `SELECT r.* FROM unnest(${arrays}) WITH ORDINALITY AS q(${columns.join(', ')}, i)
CROSS JOIN LATERAL (${lateral}) AS r
ORDER BY q.i`;
}

/**
 * listMarketData with concurrent listings of one variant answered by one statement (natural
 * batching, see batcher.ts). Listings of several tickers (an array parameter) and deep pages (a
 * CTE of their own) run alone.
 */
export function batchedList(db: Queryable, options: BatcherOptions = {}): (filter: ListFilter, page: ListPage) => Promise<ListResult> {
  const batchers = new Map<string, Batcher<Built, ListResult>>();
  const batcherFor = (name: string) => {
    let batcher = batchers.get(name);
    if (!batcher) {
      // A variant's name fixes its SQL, so its batched form is made once, not per statement.
      let batchText: string | undefined;
      batcher = new Batcher<Built, ListResult>(async (all) => {
        const first = all[0]!;
        if (all.length === 1) return [await runList(db, first)];
        const arrays = first.params.map((_, i) => all.map((b) => b.params[i]));
        batchText ??= batchOf(first);
        const { rows } = await db.query<ListRow>(batchText, arrays, { name: `${first.name}_batch` });
        return rows.map(toResult);
      }, options);
      batchers.set(name, batcher);
    }
    return batcher;
  };
  return (filter, page) => {
    const built = buildList(filter, page);
    if (built.types.some((t) => t.endsWith('[]')) || built.name.includes('seek')) return runList(db, built);
    return batcherFor(built.name).load(built);
  };
}
