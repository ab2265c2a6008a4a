// Reading a whole listing in bounded batches, for exports: each batch is one keyset query that
// starts after the previous batch's last row, so memory stays at one batch whatever the size of
// the result, every batch costs the same, and no transaction or cursor is held open between
// batches (PGlite has one connection; a slow download must not block everyone else).
// The batches are separate statements: rows written during an export may or may not appear
// in it, but a row present throughout appears exactly once.
import type { Queryable } from './database.ts';
import type { Keyset, ListFilter } from './market-data-list.ts';

export interface ExportRow {
  date: string;
  ticker: string;
  /** Exact decimals with trailing zeros removed (150.100000 → "150.1"), as the JSON API prints them. */
  open: string;
  high: string;
  low: string;
  close: string;
  volume: number;
}

export async function readExportBatch(db: Queryable, filter: ListFilter, after: Keyset | undefined, size: number): Promise<ExportRow[]> {
  const params: unknown[] = [];
  const add = (value: unknown): string => `$${params.push(value)}`;
  const conds: string[] = [];
  const key: string[] = [filter.order];
  if (filter.tickers?.length === 1) {
    conds.push(`ticker = ${add(filter.tickers[0])}`);
    key.push('t1');
  } else if (filter.tickers?.length) {
    conds.push(`ticker = ANY(${add(filter.tickers)}::varchar[])`);
    key.push('tn');
  }
  if (filter.startDate) {
    conds.push(`date >= ${add(filter.startDate)}::date`);
    key.push('s');
  }
  if (filter.endDate) {
    conds.push(`date <= ${add(filter.endDate)}::date`);
    key.push('e');
  }
  if (after) {
    // The same keyset condition as the listing's cursor pages (see buildList in market-data.ts).
    const d = add(after.date);
    const t = add(after.ticker);
    conds.push(filter.order === 'desc'
      ? `date <= ${d}::date AND (date < ${d}::date OR ticker > ${t})`
      : `date >= ${d}::date AND (date > ${d}::date OR ticker > ${t})`);
    key.push('k');
  }
  const text = `SELECT date, ticker, trim_scale(open) AS open, trim_scale(high) AS high, trim_scale(low) AS low,
    trim_scale(close) AS close, volume
  FROM market_data ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
  ORDER BY date ${filter.order === 'desc' ? 'DESC' : 'ASC'}, ticker ASC
  LIMIT ${add(size)}`;
  const { rows } = await db.query<ExportRow>(text, params, { name: `market_data_export_${key.join('_')}` });
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
