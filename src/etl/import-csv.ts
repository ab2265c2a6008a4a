// Daily bars from a CSV file (Alpha Vantage's `datatype=csv`, or history from elsewhere) through
// the same transformer and loader as the API's data, recorded in the run history like an ETL run.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { foldCounts } from '../db/counts.ts';
import type { Database } from '../db/database.ts';
import { createRun, finishRun, getRun, recordTickerResult, type RunDetail } from '../db/etl-runs.ts';
import type { Logger } from '../logger.ts';
import type { RawRow } from './classify.ts';
import { loadBars } from './load.ts';
import { transform } from './transform.ts';

export class CsvFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvFormatError';
  }
}

const REQUIRED = ['open', 'high', 'low', 'close', 'volume'] as const;

/**
 * Reads `timestamp|date,open,high,low,close,volume` (header names in any case and column order;
 * other columns such as `adjusted_close` are ignored; rows in either date order).
 */
export async function readCsv(file: string): Promise<RawRow[]> {
  const parser = fs.createReadStream(file).pipe(parse({
    bom: true, trim: true, skip_empty_lines: true, relax_column_count: true,
    columns: (header: string[]) => header.map((h) => h.toLowerCase()),
  }));
  const rows: RawRow[] = [];
  let checked = false;
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    if (!checked) {
      const missing = [...REQUIRED, 'timestamp|date'].filter((c) => !c.split('|').some((name) => name in record));
      if (missing.length) throw new CsvFormatError(`${path.basename(file)}: the header lacks ${missing.join(', ')} (expected timestamp|date,open,high,low,close,volume)`);
      checked = true;
    }
    rows.push({
      date: record.timestamp ?? record.date ?? '', open: record.open, high: record.high, low: record.low,
      close: record.close, volume: record.volume,
    });
  }
  return rows;
}

export interface ImportOptions {
  file: string;
  ticker: string;
  now?: Date;
}

/** Loads one ticker's CSV file whole or not at all; the run and its result go to the history. */
export async function importCsv(db: Database, logger: Logger, { file, ticker, now = new Date() }: ImportOptions): Promise<RunDetail> {
  const rows = await readCsv(file);
  const runId = await createRun(db, { trigger: 'cli', tickers: [ticker], force: false, incremental: false, source: `csv:${path.basename(file)}` });
  const log = logger.child({ run_id: runId, ticker });
  const startedAt = new Date().toISOString();
  const result = {
    ticker, status: 'failed' as const, output_size: null, requests: 0, extracted: rows.length, transformed: 0,
    inserted: 0, updated: 0, unchanged: 0, rejected: 0, rejections: [] as { date: string; reason: string }[],
    reason: null as string | null, fetched_at: null, started_at: startedAt,
  };
  try {
    const transformed = transform(ticker, rows, { now });
    Object.assign(result, { transformed: transformed.bars.length, rejected: transformed.rejected, rejections: transformed.rejections });
    if (transformed.bars.length === 0) {
      await recordTickerResult(db, runId, 0, { ...result, reason: rows.length ? 'every row was rejected' : 'the file has no rows' });
      await finishRun(db, runId, 'failed', 'nothing to load');
    } else {
      const counts = await loadBars(db, transformed.bars);
      const changed = counts.inserted + counts.updated;
      await recordTickerResult(db, runId, 0, {
        ...result, ...counts, status: changed ? 'success' : 'no_new_data',
        reason: transformed.rejected ? `${transformed.rejected} row(s) rejected` : changed ? null : 'no new or changed rows',
      });
      await finishRun(db, runId, 'completed');
    }
  } catch (err) {
    await finishRun(db, runId, 'failed', `database error: ${(err as Error).message}`).catch(() => {});
    throw err;
  }
  await foldCounts(db).catch(() => {});
  const run = (await getRun(db, runId))!;
  log.info({ file: path.basename(file), status: run.details[0]?.status, rows: rows.length, loaded: run.total_loaded, rejected: run.details[0]?.rejected }, 'csv imported');
  return run;
}
