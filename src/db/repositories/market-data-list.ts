// Listings of bars: daily (market_data), or weekly and longer (derived-bars.ts), raw or adjusted
// (adjustments.ts). Each listing variant (which filters, keyset or offset, interval, adjustment)
// is its own SQL text and its own prepared statement, so PostgreSQL plans it for the indexes it
// can use rather than one generic plan full of `$1 IS NULL OR …`. Concurrent listings of one
// variant share a statement (see batchedList).
import { adjustedPrice, adjustedVolume, FACTORS_JOIN, type Adjustment } from './adjustments.ts';
import { Batcher, type BatcherOptions } from '../driver/batcher.ts';
import type { Queryable } from '../driver/database.ts';
import { barsOf } from './derived-bars.ts';
import { RECORD_JSON, recordJson } from './record-json.ts';

export type Order = 'asc' | 'desc';
export type Interval = '1d' | '1w' | '1mo' | '1q' | '1y';
export const INTERVALS: readonly Interval[] = ['1d', '1w', '1mo', '1q', '1y'];
export type { Adjustment };

export interface ListFilter {
  tickers?: string[];
  startDate?: string;
  endDate?: string;
  order: Order;
  /** Daily bars (the default), or weekly and longer ones: stored, or derived from shorter ones. */
  interval?: Interval;
  /** Raw prices (the default), or adjusted for splits, or for splits and dividends. */
  adjustment?: Adjustment;
}

/** The last row of the previous page, for keyset pagination. */
export interface Keyset { date: string; ticker: string }

export interface ListPage {
  size: number;
  offset?: number;
  after?: Keyset;
}

interface Built {
  name: string;
  text: string;
  params: unknown[];
  /** PostgreSQL type of each parameter. */
  types: string[];
}

/**
 * From this many rows deep, a page without a ticker filter is found through the per-day counts
 * instead of an OFFSET over the index: OFFSET reads and discards every row before the page
 * (time growing with the depth), the counts locate the page's first day at once.
 */
export const SEEK_FROM_ROWS = 1000;

/**
 * The SQL of one listing (exported for the benchmark, which replays it through pgbench): a page
 * of JSON records with its total and last key, or (`rows`, for exports) the page's rows as plain
 * columns, prices as the shortest exact decimal text.
 */
export function buildList(filter: ListFilter, page: ListPage, output: 'json' | 'rows' = 'json', ref: (n: number) => string = (n) => `$${n}`): Built {
  const params: unknown[] = [];
  const types: string[] = [];
  // `ref` names the n-th parameter in the text: `$n` alone, a column of the unnested requests when batched.
  const add = (value: unknown, type: string): string => {
    types.push(type);
    return ref(params.push(value));
  };
  const interval = filter.interval ?? '1d';
  const adjustment = filter.adjustment ?? 'raw';
  const rowConds: string[] = [];
  const dateConds: string[] = [];
  const key: string[] = [filter.order];
  if (interval !== '1d') key.unshift(interval.slice(1));
  if (adjustment !== 'raw') key.unshift(adjustment);

  if (filter.tickers?.length === 1) {
    rowConds.push(`ticker = ${add(filter.tickers[0], 'varchar')}`);
    key.push('t1');
  } else if (filter.tickers?.length) {
    rowConds.push(`ticker = ANY(${add(filter.tickers, 'varchar[]')}::varchar[])`);
    key.push('tn');
  }
  let start: string | undefined;
  let end: string | undefined;
  if (filter.startDate) {
    start = `${add(filter.startDate, 'date')}::date`;
    dateConds.push(`date >= ${start}`);
    key.push('s');
  }
  if (filter.endDate) {
    end = `${add(filter.endDate, 'date')}::date`;
    dateConds.push(`date <= ${end}`);
    key.push('e');
  }
  const where = (conds: string[]): string => (conds.length ? `WHERE ${conds.join(' AND ')}` : '');

  // Weekly and longer bars are the union of a few SELECTs, already filtered (derived-bars.ts): no
  // maintained counts (totals count them) and no day counts (deep pages use OFFSET).
  const daily = interval === '1d';
  const long = daily ? undefined : barsOf(interval, { ticker: rowConds[0], start, end });
  const source = long ? `${long.ctes},\n` : '';
  // Without a ticker filter the total comes from the counts kept by triggers — their grand total,
  // or the days in the range — plus the deltas not yet folded in (migrations 0002, 0005); with
  // one, counting index entries of those tickers is already cheap.
  const total = long ? `SELECT count(*) FROM (${long.branches.join(' UNION ALL ')}) AS u`
    : filter.tickers?.length ? `SELECT count(*) FROM market_data ${where([...rowConds, ...dateConds])}`
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
  // OFFSET's row count: a parameter, or where the per-day counts say the page starts (seek).
  let skip: string | undefined;
  let seek = '';
  if (!page.after && page.offset && daily && !filter.tickers?.length && page.offset >= SEEK_FROM_ROWS) {
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
    skip = '(SELECT skip FROM seek)';
    key.push('seek');
  } else if (!page.after && page.offset) {
    skip = add(page.offset, 'bigint');
    key.push('o');
  }
  const offset = skip ? ` OFFSET ${skip}` : '';
  const order = `ORDER BY date ${dir}, ticker ASC`;
  // After a cursor: the rest of the cursor's day, then the days beyond it — two ranges each
  // read straight from an index. (date DESC, ticker ASC) cannot be one row comparison, and
  // `date <= d AND (date < d OR ticker > t)` reads and discards the day's earlier tickers, a whole
  // day of rows on a deep page.
  const after = keyset && `(date ${dir === 'DESC' ? '<' : '>'} ${keyset.d}::date OR (date = ${keyset.d}::date AND ticker > ${keyset.t}))`;
  // Longer bars: each SELECT gives its first rows in page order (from an index), and the page is
  // taken from their union.
  const pageSql = long
    ? `SELECT * FROM (${long.branches.map((b) => `(SELECT * FROM (${b}) AS b ${where(after ? [after] : [])} ${order} LIMIT ${skip ? `${limit}::bigint + ${skip}::bigint` : limit})`).join('\n  UNION ALL ')}) AS u
  ${order} LIMIT ${limit}${offset}`
    : keyset
      ? `(SELECT * FROM market_data ${where([...pageConds, `date = ${keyset.d}::date`, `ticker > ${keyset.t}`])} ORDER BY ticker ASC LIMIT ${limit})
  UNION ALL
  (SELECT * FROM market_data ${where([...pageConds, `date ${dir === 'DESC' ? '<' : '>'} ${keyset.d}::date`])} ${order} LIMIT ${limit})
  ${order} LIMIT ${limit}`
      : `SELECT * FROM market_data ${where(pageConds)} ${order} LIMIT ${limit}${offset}`;
  // The page's records as one JSON array (record-json.ts), its size, and its last row's key for
  // the next cursor. Adjusted records join each row to its factors.
  const items = adjustment === 'raw' && daily
    ? `SELECT concat('[', string_agg(${RECORD_JSON}, ',' ORDER BY date ${dir}, ticker ASC), ']') FROM page`
    : `SELECT concat('[', string_agg(${recordJson({
      alias: 'p.', id: daily, interval: `'${interval}'`, adjustment, derived: daily ? undefined : 'p.derived',
    })}, ',' ORDER BY p.date ${dir}, p.ticker ASC), ']') FROM page p${adjustment === 'raw' ? '' : ` ${FACTORS_JOIN}`}`;
  const head = `WITH ${source}${seek}page AS (
  ${pageSql}
)`;
  if (output === 'rows') {
    const adjusted = adjustment === 'raw' ? undefined : adjustment;
    const price = (c: string) => (adjusted ? adjustedPrice(`p.${c}`, adjusted) : `trim_scale(p.${c})`);
    const text = `${head}
SELECT p.date, p.ticker, ${price('open')} AS open, ${price('high')} AS high, ${price('low')} AS low, ${price('close')} AS close,
  ${adjusted ? adjustedVolume('p.volume') : 'p.volume'} AS volume
FROM page p${adjusted ? ` ${FACTORS_JOIN}` : ''}
ORDER BY p.date ${dir}, p.ticker ASC`;
    return { name: `bars_rows_${key.join('_')}`, text, params, types };
  }
  const text = `${head}
SELECT (${total}) AS total,
  (SELECT count(*) FROM page) AS count,
  (${items}) AS items,
  (SELECT ARRAY[date::text, ticker] FROM page ORDER BY date ${dir === 'DESC' ? 'ASC' : 'DESC'}, ticker DESC LIMIT 1) AS last`;
  return { name: `bars_list_${key.join('_')}`, text, params, types };
}

interface ListResult {
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

/** A listing request waiting for its batch. */
interface Request { filter: ListFilter; page: ListPage; built: Built }

/**
 * The same listing for many requests at once: each request's parameters become a row of unnest,
 * and the listing, built with its parameters read from that row, runs LATERAL once per row — one
 * statement, one round trip.
 */
function batchOf({ filter, page, built }: Request): string {
  const columns = built.types.map((_, i) => `p${i + 1}`);
  const arrays = built.types.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
  const lateral = buildList(filter, page, 'json', (n) => `q.p${n}`).text;
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
  const batchers = new Map<string, Batcher<Request, ListResult>>();
  const batcherFor = (name: string) => {
    let batcher = batchers.get(name);
    if (!batcher) {
      // A variant's name fixes its SQL, so its batched form is made once, not per statement.
      let batchText: string | undefined;
      batcher = new Batcher<Request, ListResult>(async (all) => {
        const first = all[0]!;
        if (all.length === 1) return [await runList(db, first.built)];
        const arrays = first.built.params.map((_, i) => all.map((r) => r.built.params[i]));
        batchText ??= batchOf(first);
        const { rows } = await db.query<ListRow>(batchText, arrays, { name: `${first.built.name}_batch` });
        return rows.map(toResult);
      }, options);
      batchers.set(name, batcher);
    }
    return batcher;
  };
  return (filter, page) => {
    const built = buildList(filter, page);
    if (built.types.some((t) => t.endsWith('[]')) || built.name.includes('seek')) return runList(db, built);
    return batcherFor(built.name).load({ filter, page, built });
  };
}
