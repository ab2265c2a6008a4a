-- The SQL of src/db/entitlements.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- listEntitlements
SELECT entitlement, status, reason, checked_at FROM source_entitlements WHERE source = $1 AND account = $2 ORDER BY entitlement;

-- recordEntitlement
INSERT INTO source_entitlements (source, account, entitlement, status, reason, checked_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (source, account, entitlement) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason, checked_at = EXCLUDED.checked_at;
