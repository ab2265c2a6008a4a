-- The SQL of src/db/derived-bars.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- LONG_PERIOD.'1q'.start
make_date(extract(year FROM ${x})::int, (extract(quarter FROM ${x})::int - 1) * 3 + 1, 1);

-- LONG_PERIOD.'1y'.start
make_date(extract(year FROM ${x})::int, 1, 1);

-- LONG_PERIOD.'1y'.end
make_date(extract(year FROM ${x})::int, 12, 31);

-- aggregate
max(${a}date) AS date, (array_agg(${a}open ORDER BY ${a}date))[1] AS open, max(${a}high) AS high,
min(${a}low) AS low, (array_agg(${a}close ORDER BY ${a}date DESC))[1] AS close, sum(${a}volume)::bigint AS volume,
min(${a}created_at) AS created_at, max(${a}updated_at) AS updated_at;

-- where
WHERE ${kept.join(' AND ')};

-- stored
NOT EXISTS (SELECT FROM period_bars s WHERE s.ticker = ${alias}.ticker AND s.interval = '${interval}' AND s.period = ${alias}.period);

-- periodBars.ctes
${name}_pending AS (
  SELECT ticker, period_start('${interval}', min(lo)) AS lo, period_end('${interval}', max(hi)) AS hi
  FROM derived_bars_pending ${where([f.ticker])} GROUP BY ticker
),
${name}_made AS (
  SELECT m.ticker, period_start('${interval}', m.date) AS period, ${aggregate('m.')}
  FROM ${name}_pending p JOIN market_data m ON m.ticker = p.ticker AND m.date BETWEEN p.lo AND p.hi
  GROUP BY m.ticker, period_start('${interval}', m.date)
);

-- periodBars.branches (1)
SELECT ticker, period, date, open, high, low, close, volume, created_at, updated_at, false AS derived FROM period_bars ${where([`interval = '${interval}'`, f.ticker, ...dates('date')])};

-- periodBars.branches (2)
SELECT ticker, period, date, open, high, low, close, volume, created_at, updated_at, true AS derived FROM derived_bars d ${where([`interval = '${interval}'`, f.ticker, ...dates('date'),
`NOT EXISTS (SELECT FROM ${name}_pending p WHERE p.ticker = d.ticker AND d.period BETWEEN p.lo AND p.hi)`])};

-- periodBars.branches (3)
SELECT ticker, period, date, open, high, low, close, volume, created_at, updated_at, true AS derived FROM ${name}_made g ${where([...dates('g.date'), stored(interval, 'g')])};

-- barsOf.ctes
${months.ctes},
months AS (
  ${months.branches.join('\n  UNION ALL\n  ')}
),
long_bars AS (
  SELECT ticker, ${p.start('period')} AS period, ${aggregate()}, true AS derived
  FROM months
  GROUP BY ticker, ${p.start('period')}
  ${f.start || f.end ? `HAVING ${[f.start && `max(date) >= ${f.start}`, f.end && `max(date) <= ${f.end}`].filter(Boolean).join(' AND ')}` : ''}
);

-- barsOf.branches
SELECT ticker, period, date, open, high, low, close, volume, created_at, updated_at, derived FROM long_bars;

-- foldDerivedBarsOnce
SELECT fold_derived_bars($1::bigint) AS folded;

-- foldDerivedBars
SELECT count(DISTINCT ticker)::int AS n FROM derived_bars_pending;
