-- market_data_compact_counts() folds every pending delta in one transaction. On the embedded
-- database that is one statement on the only connection: the ~5,000 day deltas a full ticker
-- history leaves took 40–100 ms, during which no API request could run. With `max_rows`, one call
-- folds the day deltas of the earliest days only, about `max_rows` of them (a day's deltas are
-- never split), so the caller can fold in steps and let other statements run in between. Each
-- step is exact on its own: readers add counts and pending deltas in one snapshot, and a step
-- moves rows from one to the other in one transaction. Ticker deltas (one per ticker and
-- statement) are all folded at every step.
-- NULL (the default, and what every earlier caller gets) folds everything, as before.
DROP FUNCTION market_data_compact_counts();

CREATE FUNCTION market_data_compact_counts(max_rows bigint DEFAULT NULL) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    upto date;
    days bigint;
    day_rows bigint;
    tickers bigint;
    empty_days date[];
    empty_tickers varchar[];
BEGIN
    IF NOT pg_try_advisory_xact_lock(727000003) THEN
        RETURN 0;
    END IF;
    IF max_rows IS NOT NULL THEN
        -- NULL when fewer are pending: then all of them
        upto := (SELECT date FROM market_data_day_count_deltas ORDER BY date OFFSET max_rows LIMIT 1);
    END IF;
    WITH moved AS (
        DELETE FROM market_data_day_count_deltas WHERE upto IS NULL OR date <= upto RETURNING date, rows
    ),
    folded AS (
        INSERT INTO market_data_day_counts AS c (date, rows)
        SELECT date, sum(rows) FROM moved GROUP BY date ORDER BY date
        ON CONFLICT (date) DO UPDATE SET rows = c.rows + EXCLUDED.rows
        RETURNING date, rows
    )
    SELECT (SELECT count(*) FROM moved), (SELECT coalesce(sum(rows), 0) FROM moved), (SELECT array_agg(date) FROM folded WHERE rows = 0)
    INTO days, day_rows, empty_days;
    DELETE FROM market_data_day_counts WHERE date = ANY (empty_days) AND rows = 0;
    IF day_rows <> 0 THEN
        UPDATE market_data_total SET rows = rows + day_rows;
    END IF;

    WITH moved AS (DELETE FROM market_data_ticker_stat_deltas RETURNING ticker, rows, changed_at),
    folded AS (
        INSERT INTO market_data_ticker_stats AS s (ticker, rows, changed_at)
        SELECT ticker, sum(rows), max(changed_at) FROM moved GROUP BY ticker ORDER BY ticker
        ON CONFLICT (ticker) DO UPDATE SET rows = s.rows + EXCLUDED.rows, changed_at = greatest(s.changed_at, EXCLUDED.changed_at)
        RETURNING ticker, rows
    )
    SELECT (SELECT count(*) FROM moved), (SELECT array_agg(ticker) FROM folded WHERE rows = 0) INTO tickers, empty_tickers;
    DELETE FROM market_data_ticker_stats WHERE ticker = ANY (empty_tickers) AND rows = 0;
    RETURN days + tickers;
END $$;
