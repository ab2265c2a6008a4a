-- The SQL of src/db/record-json.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- recordJson.parts
CASE WHEN ${isAdjusted(adjusted)} THEN concat(',"raw_close":', trim_scale(${c('close')})) END;
