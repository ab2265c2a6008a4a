// Splits and dividends as the source lists them (migration 0007). A refresh brings a ticker's
// whole list: rows it no longer holds go, changed rows are updated, the rest are left alone.
import type { Queryable } from '../driver/database.ts';

export interface Split { ex_date: string; factor: string }
export interface Dividend {
  ex_date: string;
  declaration_date: string | null;
  record_date: string | null;
  payment_date: string | null;
  amount: string;
}
interface ActionCounts { inserted: number; updated: number; unchanged: number; deleted: number }

const counts = (row: { inserted: number; updated: number; deleted: number }, given: number): ActionCounts =>
  ({ inserted: row.inserted, updated: row.updated, deleted: row.deleted, unchanged: given - row.inserted - row.updated });

const REPLACE_SPLITS = `WITH given AS (
  SELECT * FROM unnest($2::date[], $3::numeric[]) AS g(ex_date, factor)
), gone AS (
  DELETE FROM splits s WHERE s.ticker = $1 AND s.ex_date <> ALL ($2::date[]) RETURNING 1
), upserted AS (
  INSERT INTO splits AS s (ticker, ex_date, factor) SELECT $1, ex_date, factor FROM given
  ON CONFLICT (ticker, ex_date) DO UPDATE SET factor = EXCLUDED.factor, updated_at = now()
  WHERE s.factor IS DISTINCT FROM EXCLUDED.factor
  RETURNING xmax = 0 AS inserted
)
SELECT (SELECT count(*) FROM upserted WHERE inserted) AS inserted, (SELECT count(*) FROM upserted WHERE NOT inserted) AS updated,
       (SELECT count(*) FROM gone) AS deleted`;

/** Makes the stored splits of `ticker` exactly `splits` (one per ex-date). */
export async function replaceSplits(db: Queryable, ticker: string, splits: readonly Split[]): Promise<ActionCounts> {
  const { rows } = await db.query<{ inserted: number; updated: number; deleted: number }>(
    REPLACE_SPLITS, [ticker, splits.map((s) => s.ex_date), splits.map((s) => s.factor)], { name: 'splits_replace' });
  return counts(rows[0]!, splits.length);
}

const REPLACE_DIVIDENDS = `WITH given AS (
  SELECT * FROM unnest($2::date[], $3::date[], $4::date[], $5::date[], $6::numeric[])
    AS g(ex_date, declaration_date, record_date, payment_date, amount)
), gone AS (
  DELETE FROM dividends d WHERE d.ticker = $1 AND d.ex_date <> ALL ($2::date[]) RETURNING 1
), upserted AS (
  INSERT INTO dividends AS d (ticker, ex_date, declaration_date, record_date, payment_date, amount)
  SELECT $1, ex_date, declaration_date, record_date, payment_date, amount FROM given
  ON CONFLICT (ticker, ex_date) DO UPDATE SET
    declaration_date = EXCLUDED.declaration_date, record_date = EXCLUDED.record_date,
    payment_date = EXCLUDED.payment_date, amount = EXCLUDED.amount, updated_at = now()
  WHERE (d.declaration_date, d.record_date, d.payment_date, d.amount)
    IS DISTINCT FROM (EXCLUDED.declaration_date, EXCLUDED.record_date, EXCLUDED.payment_date, EXCLUDED.amount)
  RETURNING xmax = 0 AS inserted
)
SELECT (SELECT count(*) FROM upserted WHERE inserted) AS inserted, (SELECT count(*) FROM upserted WHERE NOT inserted) AS updated,
       (SELECT count(*) FROM gone) AS deleted`;

/** Makes the stored dividends of `ticker` exactly `dividends` (one per ex-date). */
export async function replaceDividends(db: Queryable, ticker: string, dividends: readonly Dividend[]): Promise<ActionCounts> {
  const column = <K extends keyof Dividend>(k: K) => dividends.map((d) => d[k]);
  const { rows } = await db.query<{ inserted: number; updated: number; deleted: number }>(
    REPLACE_DIVIDENDS,
    [ticker, column('ex_date'), column('declaration_date'), column('record_date'), column('payment_date'), column('amount')],
    { name: 'dividends_replace' });
  return counts(rows[0]!, dividends.length);
}

/**
 * A ticker's actions, ascending by ex-date, amounts and factors as the shortest exact decimal;
 * undefined when the store knows nothing of the ticker (no bars, no actions).
 */
export async function getCorporateActions(db: Queryable, ticker: string): Promise<{ splits: Split[]; dividends: Dividend[] } | undefined> {
  const [known, splits, dividends] = await Promise.all([
    db.query<{ known: boolean }>(
      `SELECT EXISTS (SELECT FROM market_data WHERE ticker = $1) OR EXISTS (SELECT FROM period_bars WHERE ticker = $1)
              OR EXISTS (SELECT FROM splits WHERE ticker = $1) OR EXISTS (SELECT FROM dividends WHERE ticker = $1) AS known`,
      [ticker], { name: 'ticker_known' }),
    db.query<Split>('SELECT ex_date, trim_scale(factor)::text AS factor FROM splits WHERE ticker = $1 ORDER BY ex_date', [ticker], { name: 'splits_of' }),
    db.query<Dividend>(
      `SELECT ex_date, declaration_date, record_date, payment_date, trim_scale(amount)::text AS amount
       FROM dividends WHERE ticker = $1 ORDER BY ex_date`, [ticker], { name: 'dividends_of' }),
  ]);
  return known.rows[0]!.known ? { splits: splits.rows, dividends: dividends.rows } : undefined;
}
