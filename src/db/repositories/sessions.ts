// The exchange_sessions table (migration 0011), kept equal to the calendar of model/calendar.ts.
// Checked once per process and database: a count and a sum of day numbers tell whether the
// stored sessions are this calendar's; if not, they are written again in one transaction.
import { FIRST_DATE, isEarlyClose, LAST_DATE, sessionsBetween } from '../../model/calendar.ts';
import type { Database } from '../driver/database.ts';

/** Arbitrary but fixed: two processes filling the table take turns. */
const SESSIONS_LOCK = 727_000_011;
const EPOCH = Date.parse(`${FIRST_DATE}T00:00:00Z`);

interface Expected { dates: string[]; early: boolean[]; fingerprint: string }
let expected: Expected | undefined;
function calendar(): Expected {
  if (!expected) {
    const dates = sessionsBetween(FIRST_DATE, LAST_DATE);
    const early = dates.map(isEarlyClose);
    const sum = dates.reduce((s, d) => s + (Date.parse(`${d}T00:00:00Z`) - EPOCH) / 86_400_000, 0);
    expected = { dates, early, fingerprint: `${dates.length}:${sum}:${early.filter(Boolean).length}` };
  }
  return expected;
}

const FINGERPRINT = `SELECT count(*) || ':' || coalesce(sum(date - date '${FIRST_DATE}'), 0) || ':' || count(*) FILTER (WHERE early_close) AS f
  FROM exchange_sessions`;

async function sync(db: Database): Promise<void> {
  const want = calendar();
  const { rows } = await db.query<{ f: string }>(FINGERPRINT);
  if (rows[0]?.f === want.fingerprint) return;
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SESSIONS_LOCK]);
    const again = await tx.query<{ f: string }>(FINGERPRINT);
    if (again.rows[0]?.f === want.fingerprint) return;
    await tx.query('DELETE FROM exchange_sessions');
    await tx.query(`INSERT INTO exchange_sessions (date, n, early_close)
      SELECT d, n, e FROM unnest($1::date[], $2::boolean[]) WITH ORDINALITY AS s(d, e, n)`, [want.dates, want.early]);
  });
}

const synced = new WeakMap<Database, Promise<void>>();

/** Resolves when exchange_sessions holds this calendar's sessions (a failed attempt is retried next call). */
export function ensureSessions(db: Database): Promise<void> {
  let p = synced.get(db);
  if (!p) {
    p = sync(db);
    synced.set(db, p);
    p.catch(() => synced.delete(db));
  }
  return p;
}
