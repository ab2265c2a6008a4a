// Reading a whole listing in bounded batches, for exports: each batch is the listing's own cursor
// page (buildList with `after`: the rest of the last row's day, then the days beyond it, each range
// read straight from an index), so memory stays at one batch whatever the size of the result,
// every batch costs the same, and no transaction or cursor is held open between
// batches (PGlite has one connection; a slow download must not block everyone else).
// The batches are separate statements: rows written during an export may or may not appear
// in it, but a row present throughout appears exactly once.
import type { Queryable } from '../driver/database.ts';
import { buildList, type Keyset, type ListFilter } from './market-data-list.ts';

export interface ExportRow {
  date: string;
  ticker: string;
  /** Exact decimals with trailing zeros removed (150.100000 → "150.1"), as the JSON API prints them (adjusted when asked). */
  open: string;
  high: string;
  low: string;
  close: string;
  volume: number;
}

/** One batch: the listing's next `size` rows after `after` (its cursor pages' keyset form). */
async function readExportBatch(db: Queryable, filter: ListFilter, after: Keyset | undefined, size: number): Promise<ExportRow[]> {
  const { name, text, params } = buildList(filter, { size, after }, 'rows');
  const { rows } = await db.query<ExportRow>(text, params, { name });
  return rows;
}

/** Every row of the listing, one batch at a time; the next batch is read only when asked for. */
export async function* exportBatches(db: Queryable, filter: ListFilter, batchSize: number): AsyncGenerator<ExportRow[]> {
  let after: Keyset | undefined;
  for (;;) {
    const rows = await readExportBatch(db, filter, after, batchSize);
    if (rows.length) yield rows;
    if (rows.length < batchSize) return;
    const last = rows.at(-1)!;
    after = { date: last.date, ticker: last.ticker };
  }
}

/**
 * The columns of a wide export: the filter's tickers, or every ticker, that have a daily bar in
 * the date range — one probe of the (ticker, date) index per ticker known to the stats table.
 */
export async function exportTickers(db: Queryable, filter: ListFilter): Promise<string[]> {
  const { rows } = await db.query<{ ticker: string }>(`SELECT s.ticker FROM market_data_ticker_totals s
WHERE s.rows > 0 AND ($1::varchar[] IS NULL OR s.ticker = ANY($1::varchar[]))
  AND EXISTS (SELECT 1 FROM market_data m WHERE m.ticker = s.ticker
    AND m.date >= coalesce($2::date, '-infinity'::date) AND m.date <= coalesce($3::date, 'infinity'::date))
ORDER BY s.ticker`, [filter.tickers ?? null, filter.startDate ?? null, filter.endDate ?? null], { name: 'export_tickers' });
  return rows.map((r) => r.ticker);
}
