-- The SQL of src/db/market-data-list.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- buildList.where
WHERE ${conds.join(' AND ')};

-- buildList.total (1)
SELECT count(*) FROM (${long.branches.join(' UNION ALL ')}) AS u;

-- buildList.total (2)
SELECT count(*) FROM market_data ${where([...rowConds, ...dateConds])};

-- buildList.total (3)
SELECT ((SELECT ${dateConds.length ? `coalesce(sum(rows), 0) FROM market_data_day_counts ${where(dateConds)}` : 'rows FROM market_data_total'})
+ (SELECT coalesce(sum(rows), 0) FROM market_data_day_count_deltas ${where(dateConds)}))::bigint;

-- buildList (1)
seek AS (
  SELECT date AS day, (${o}::bigint - before)::bigint AS skip
  FROM (SELECT date, rows, sum(rows) OVER (ORDER BY date ${dir}) - rows AS before
        FROM market_data_day_totals ${where(dateConds)}) AS c
  WHERE before + rows > ${o}::bigint
  ORDER BY date ${dir} LIMIT 1
),;

-- buildList (2)
date ${dir === 'DESC' ? '<=' : '>='} (SELECT day FROM seek);

-- buildList (3)
(SELECT skip FROM seek);

-- buildList.order
ORDER BY date ${dir}, ticker ASC;

-- buildList.pageSql (1)
SELECT * FROM (${long.branches.map((b) => `(SELECT * FROM (${b}) AS b ${where(after ? [after] : [])} ${order} LIMIT ${skip ? `${limit}::bigint + ${skip}::bigint` : limit})`).join('\n  UNION ALL ')}) AS u
${order} LIMIT ${limit}${offset};

-- buildList.pageSql (2)
(SELECT * FROM market_data ${where([...pageConds, `date = ${keyset.d}::date`, `ticker > ${keyset.t}`])} ORDER BY ticker ASC LIMIT ${limit})
UNION ALL
(SELECT * FROM market_data ${where([...pageConds, `date ${dir === 'DESC' ? '<' : '>'} ${keyset.d}::date`])} ${order} LIMIT ${limit})
${order} LIMIT ${limit};

-- buildList.pageSql (3)
SELECT * FROM market_data ${where(pageConds)} ${order} LIMIT ${limit}${offset};

-- buildList.items (1)
SELECT concat('[', string_agg(${RECORD_JSON}, ',' ORDER BY date ${dir}, ticker ASC), ']') FROM page;

-- buildList.items (2)
SELECT concat('[', string_agg(${recordJson({
  alias: 'p.', id: daily, interval: `'${interval}'`, adjustment, derived: daily ? undefined : 'p.derived',
})}, ',' ORDER BY p.date ${dir}, p.ticker ASC), ']') FROM page p${adjustment === 'raw' ? '' : ` ${FACTORS_JOIN}`};

-- buildList.head
WITH ${source}${seek}page AS (
  ${pageSql}
);

-- buildList.text (1)
${head}
SELECT p.date, p.ticker, ${price('open')} AS open, ${price('high')} AS high, ${price('low')} AS low, ${price('close')} AS close,
  ${adjusted ? adjustedVolume('p.volume') : 'p.volume'} AS volume
FROM page p${adjusted ? ` ${FACTORS_JOIN}` : ''}
ORDER BY p.date ${dir}, p.ticker ASC;

-- buildList.text (2)
${head}
SELECT (${total}) AS total,
  (SELECT count(*) FROM page) AS count,
  (${items}) AS items,
  (SELECT ARRAY[date::text, ticker] FROM page ORDER BY date ${dir === 'DESC' ? 'ASC' : 'DESC'}, ticker DESC LIMIT 1) AS last;

-- batchOf
SELECT r.* FROM unnest(${arrays}) WITH ORDINALITY AS q(${columns.join(', ')}, i)
CROSS JOIN LATERAL (${lateral}) AS r
ORDER BY q.i;
