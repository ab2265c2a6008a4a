// What an account may fetch from a source, as learned from its answers (migration 0007).
import type { Queryable } from '../driver/database.ts';

type EntitlementStatus = 'allowed' | 'refused';
export interface Entitlement { entitlement: string; status: EntitlementStatus; reason: string | null; checked_at: string }

export async function listEntitlements(db: Queryable, source: string, account: string): Promise<Entitlement[]> {
  const { rows } = await db.query<Entitlement>(
    `SELECT entitlement, status, reason, checked_at FROM source_entitlements WHERE source = $1 AND account = $2 ORDER BY entitlement`,
    [source, account], { name: 'entitlements_list' });
  return rows;
}

/** `at`: when the source answered (the ETL's clock, which a test may simulate). */
export async function recordEntitlement(db: Queryable, source: string, account: string, entitlement: string, status: EntitlementStatus, reason: string | null, at: string): Promise<void> {
  await db.query(
    `INSERT INTO source_entitlements (source, account, entitlement, status, reason, checked_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (source, account, entitlement) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason, checked_at = EXCLUDED.checked_at`,
    [source, account, entitlement, status, reason, at], { name: 'entitlements_record' });
}
