// Queries on market_data: records by id, writes, tickers, the ETL's bulk upsert. Listings are in
// market-data-list.ts.
import type { Bar } from '../../model/bar.ts';
import { Batcher } from '../driver/batcher.ts';
import type { Queryable } from '../driver/database.ts';
import { toDatabaseError } from '../driver/errors.ts';
import { FACTORS_JOIN, type Adjustment } from './adjustments.ts';
import { RECORD_JSON, recordJson } from './record-json.ts';

export interface MarketDataRow {
  id: number;
  ticker: string;
  date: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: number;
  created_at: string;
  updated_at: string;
}

export const COLUMNS = 'id, ticker, date, open, high, low, close, volume, created_at, updated_at';

export const GET_SQL = `SELECT ${RECORD_JSON} AS json FROM market_data WHERE id = $1`;

/** One record as JSON text, as sent; undefined when absent. */
export async function getMarketData(db: Queryable, id: number): Promise<string | undefined> {
  const { rows } = await db.query<{ json: string }>(GET_SQL, [id], { name: 'market_data_get' });
  return rows[0]?.json;
}

const GET_MANY_SQL = `SELECT id, ${RECORD_JSON} AS json FROM market_data WHERE id = ANY($1::bigint[])`;

/** getMarketData with concurrent requests answered by one statement (see batcher.ts). */
export function batchedGet(db: Queryable): (id: number) => Promise<string | undefined> {
  const batcher = new Batcher<number, string | undefined>(async (ids) => {
    if (ids.length === 1) return [getMarketData(db, ids[0]!)];
    const { rows } = await db.query<{ id: number; json: string }>(GET_MANY_SQL, [ids], { name: 'market_data_get_many' });
    const byId = new Map(rows.map((r) => [r.id, r.json]));
    return ids.map((id) => byId.get(id));
  });
  return (id) => batcher.load(id);
}

/** A written record: its key for the log, and its JSON text as sent. */
export interface Written { id: number; ticker: string; date: string; json: string }

const WRITTEN = `id, ticker, date, ${RECORD_JSON} AS json`;

/** Inserts one bar; undefined when (ticker, date) already exists. */
export const INSERT_SQL = `INSERT INTO market_data (ticker, date, open, high, low, close, volume)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (ticker, date) DO NOTHING
     RETURNING ${WRITTEN}`;

export async function insertMarketData(db: Queryable, bar: Bar): Promise<Written | undefined> {
  const { rows } = await db.query<Written>(
    INSERT_SQL,
    [bar.ticker, bar.date, bar.open, bar.high, bar.low, bar.close, bar.volume],
    { name: 'market_data_insert' },
  );
  return rows[0];
}

const INSERT_MANY_SQL = `INSERT INTO market_data (ticker, date, open, high, low, close, volume)
     SELECT * FROM unnest($1::varchar[], $2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::bigint[])
     ON CONFLICT (ticker, date) DO NOTHING
     RETURNING ${WRITTEN}`;

/**
 * insertMarketData with concurrent requests written by one statement and one commit (see
 * batcher.ts). Each request still gets its own answer: its row, or undefined when (ticker, date)
 * was taken — also by an earlier request of the same batch, which wins as it would alone.
 */
export function batchedInsert(db: Queryable): (bar: Bar) => Promise<Written | undefined> {
  const batcher = new Batcher<Bar, Written | undefined>(async (bars) => {
    if (bars.length === 1) return [insertMarketData(db, bars[0]!)];
    const key = (ticker: string, date: string) => `${ticker} ${date}`;
    const first = new Map<string, number>();
    bars.forEach((b, i) => { if (!first.has(key(b.ticker, b.date))) first.set(key(b.ticker, b.date), i); });
    const unique = [...first.values()].map((i) => bars[i]!);
    let rows: Written[];
    try {
      ({ rows } = await db.query<Written>(INSERT_MANY_SQL, [
        unique.map((b) => b.ticker), unique.map((b) => b.date), unique.map((b) => b.open), unique.map((b) => b.high),
        unique.map((b) => b.low), unique.map((b) => b.close), unique.map((b) => b.volume)], { name: 'market_data_insert_many' }));
    } catch (err) {
      // A row the database refuses (classes 22, 23) fails on its own; the others are written alone.
      if (!toDatabaseError(err).rowRefused) throw err;
      return bars.map((b, i) => (first.get(key(b.ticker, b.date)) === i ? insertMarketData(db, b) : Promise.resolve(undefined)));
    }
    const written = new Map(rows.map((r) => [key(r.ticker, r.date), r]));
    return bars.map((b, i) => (first.get(key(b.ticker, b.date)) === i ? written.get(key(b.ticker, b.date)) : undefined));
  });
  return (bar) => batcher.load(bar);
}

/** The stored prices of a row, exact (for messages about a rejected change). */
export async function getPrices(db: Queryable, id: number): Promise<{ open: string; high: string; low: string; close: string } | undefined> {
  const { rows } = await db.query<{ open: string; high: string; low: string; close: string }>(
    'SELECT open, high, low, close FROM market_data WHERE id = $1', [id], { name: 'market_data_prices' });
  return rows[0];
}

export interface MarketDataPatch { open?: string; high?: string; low?: string; close?: string; volume?: number }

/**
 * Applies the given fields; undefined when the row does not exist. The CHECK constraints judge
 * the merged row, so a patch that breaks a rule fails with check_violation (23514).
 */
export async function updateMarketData(db: Queryable, id: number, patch: MarketDataPatch): Promise<Written | undefined> {
  const { rows } = await db.query<Written>(
    `UPDATE market_data SET
       open = coalesce($2::numeric, open), high = coalesce($3::numeric, high),
       low = coalesce($4::numeric, low), close = coalesce($5::numeric, close),
       volume = coalesce($6::bigint, volume), updated_at = now()
     WHERE id = $1
     RETURNING ${WRITTEN}`,
    [id, patch.open ?? null, patch.high ?? null, patch.low ?? null, patch.close ?? null, patch.volume ?? null],
    { name: 'market_data_update' },
  );
  return rows[0];
}

export async function deleteMarketData(db: Queryable, id: number): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM market_data WHERE id = $1', [id], { name: 'market_data_delete' });
  return rowCount > 0;
}

/**
 * Distinct tickers by walking the (ticker, date) index one ticker at a time (a "loose index
 * scan"): a few index probes per ticker instead of reading every row.
 */
export async function listTickers(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ ticker: string }>(
    `WITH RECURSIVE t AS (
       (SELECT ticker FROM market_data ORDER BY ticker LIMIT 1)
       UNION ALL
       SELECT (SELECT m.ticker FROM market_data m WHERE m.ticker > t.ticker ORDER BY m.ticker LIMIT 1)
       FROM t WHERE t.ticker IS NOT NULL
     )
     SELECT ticker FROM t WHERE ticker IS NOT NULL`,
    [],
    { name: 'market_data_tickers' },
  );
  return rows.map((r) => r.ticker);
}

/** A ticker's range and row count, and its newest bar as JSON text (record-json.ts), as sent. */
export interface TickerSummary {
  ticker: string;
  first_date: string;
  last_date: string;
  rows: number;
  latest: string;
}

const SUMMARY_SQL = (adjustment: Adjustment) => `WITH page AS (SELECT * FROM market_data WHERE ticker = $1 ORDER BY date DESC LIMIT 1)
SELECT s.first_date, s.last_date, s.row_count,
       (SELECT ${recordJson({ alias: 'p.', id: true, interval: `'1d'`, adjustment })} FROM page p${adjustment === 'raw' ? '' : ` ${FACTORS_JOIN}`}) AS latest
FROM (SELECT min(date) AS first_date, max(date) AS last_date, count(*) AS row_count FROM market_data WHERE ticker = $1) AS s
WHERE s.row_count > 0`;

export async function getTickerSummary(db: Queryable, ticker: string, adjustment: Adjustment = 'raw'): Promise<TickerSummary | undefined> {
  const { rows } = await db.query<{ first_date: string; last_date: string; row_count: number; latest: string }>(
    SUMMARY_SQL(adjustment), [ticker], { name: `market_data_ticker_summary_${adjustment}` });
  const row = rows[0];
  return row && { ticker, first_date: row.first_date, last_date: row.last_date, rows: row.row_count, latest: row.latest };
}

export interface UpsertCounts { inserted: number; updated: number; unchanged: number }

// One statement per batch: unnest turns seven arrays into rows (7 bind parameters whatever the
// batch size), a row whose values did not change is left alone by the IS DISTINCT FROM guard, and
// `xmax = 0` tells a fresh insert from an update in RETURNING. `byTicker`: one count row per ticker.
export const upsertFrom = (source: string, byTicker = false) => `WITH upserted AS (
  INSERT INTO market_data AS m (ticker, date, open, high, low, close, volume)
  SELECT ticker, date, open, high, low, close, volume FROM ${source}
  ON CONFLICT (ticker, date) DO UPDATE SET
    open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
    volume = EXCLUDED.volume, updated_at = now()
  WHERE (m.open, m.high, m.low, m.close, m.volume)
    IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
  RETURNING ${byTicker ? 'ticker, ' : ''}xmax = 0 AS inserted
)
SELECT ${byTicker ? 'ticker, ' : ''}count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM upserted${byTicker ? ' GROUP BY ticker' : ''}`;

export const UNNEST_BARS = 'unnest($1::varchar[], $2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::bigint[]) AS b(ticker, date, open, high, low, close, volume)';
export const UPSERT_SQL = upsertFrom(UNNEST_BARS);

/** The seven column arrays that UNNEST_BARS takes. */
export function barColumns(bars: readonly Bar[]): [string[], string[], string[], string[], string[], string[], number[]] {
  const columns: [string[], string[], string[], string[], string[], string[], number[]] = [[], [], [], [], [], [], []];
  for (const b of bars) {
    columns[0].push(b.ticker); columns[1].push(b.date); columns[2].push(b.open); columns[3].push(b.high);
    columns[4].push(b.low); columns[5].push(b.close); columns[6].push(b.volume);
  }
  return columns;
}

/**
 * Inserts or updates one batch of bars with a single statement. The batch must not hold the same
 * (ticker, date) twice (ON CONFLICT cannot touch a row twice in one statement).
 */
export async function upsertBars(db: Queryable, bars: readonly Bar[]): Promise<UpsertCounts> {
  if (bars.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const { rows } = await db.query<{ inserted: number; updated: number }>(UPSERT_SQL, barColumns(bars), { name: 'market_data_upsert' });
  const { inserted, updated } = rows[0]!;
  return { inserted, updated, unchanged: bars.length - inserted - updated };
}

/** The newest stored date of a ticker, if any. */
export async function newestDate(db: Queryable, ticker: string): Promise<string | undefined> {
  const { rows } = await db.query<{ date: string }>(
    'SELECT date FROM market_data WHERE ticker = $1 ORDER BY date DESC LIMIT 1', [ticker], { name: 'market_data_newest' });
  return rows[0]?.date;
}
