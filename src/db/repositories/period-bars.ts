// Weekly and monthly bars as the source gave them (migration 0007): one bar per ticker, interval
// and period, the newest one replaced as its period goes on.
import type { Bar } from '../../model/bar.ts';
import type { Queryable } from '../driver/database.ts';
import { barColumns, type UpsertCounts } from './market-data.ts';

type PeriodInterval = '1w' | '1mo';

// The period is computed by the table (a generated column); a row of a period already stored
// replaces it, re-keyed to the newer date, unless nothing changed.
const UPSERT_SQL = `WITH upserted AS (
  INSERT INTO period_bars AS p (ticker, interval, date, open, high, low, close, volume)
  SELECT ticker, $8, date, open, high, low, close, volume
  FROM unnest($1::varchar[], $2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::bigint[])
       AS b(ticker, date, open, high, low, close, volume)
  ON CONFLICT (ticker, interval, period) DO UPDATE SET
    date = EXCLUDED.date, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
    volume = EXCLUDED.volume, updated_at = now()
  WHERE (p.date, p.open, p.high, p.low, p.close, p.volume)
    IS DISTINCT FROM (EXCLUDED.date, EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
  RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM upserted`;

/** The bars must hold one bar per period at most (ON CONFLICT cannot touch a row twice). */
export async function upsertPeriodBars(db: Queryable, interval: PeriodInterval, bars: readonly Bar[]): Promise<UpsertCounts> {
  if (bars.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const { rows } = await db.query<{ inserted: number; updated: number }>(
    UPSERT_SQL, [...barColumns(bars), interval], { name: 'period_bars_upsert' });
  const { inserted, updated } = rows[0]!;
  return { inserted, updated, unchanged: bars.length - inserted - updated };
}
