-- The SQL of src/db/adjustments.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- FACTORS_JOIN
LEFT JOIN LATERAL (
  SELECT split_factor, split_price, total_price FROM adjustment_factors a
  WHERE a.ticker = p.ticker AND a.to_date > p.date ORDER BY a.to_date LIMIT 1
) AS f ON true;
