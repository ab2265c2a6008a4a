-- Weekly and monthly bars derived from the daily ones, kept ready for the periods the source gave no
-- bar for (a history imported from a file, say): open = first open, high = max, low = min,
-- close = last close, volume = sum, dated by the period's last bar; one row per ticker, interval
-- and period (the Monday, the 1st), and none for a period with a stored bar (period_bars), so a
-- read takes both tables as they are. Made on read, 20 years of one ticker's weeks aggregated
-- ~5,000 rows per request.
--
-- Kept as the counts are (migration 0005): writers only append the range of dates they changed per
-- ticker (no lock anyone waits for: writers of one ticker never queue behind each other), and
-- fold_derived_bars() remakes the periods of the pending ranges from the committed bars. Readers
-- make the periods of ranges still pending from the bars themselves, so every read is exact.
CREATE TABLE derived_bars (
    ticker      varchar(16)   NOT NULL,
    interval    text          NOT NULL CHECK (interval IN ('1w', '1mo')),
    period      date          NOT NULL,
    date        date          NOT NULL,
    open        numeric(15,6) NOT NULL,
    high        numeric(15,6) NOT NULL,
    low         numeric(15,6) NOT NULL,
    close       numeric(15,6) NOT NULL,
    volume      bigint        NOT NULL,
    created_at  timestamptz   NOT NULL,
    updated_at  timestamptz   NOT NULL,
    PRIMARY KEY (ticker, interval, period)
);
-- Listings newest (or oldest) first: across tickers, and of one ticker (as period_bars, below).
CREATE INDEX ix_derived_bars_listing ON derived_bars (interval, date DESC, ticker);
CREATE INDEX ix_derived_bars_ticker ON derived_bars (ticker, interval, date);
CREATE INDEX ix_period_bars_ticker ON period_bars (ticker, interval, date);

CREATE TABLE derived_bars_pending (
    ticker  varchar(16) NOT NULL,
    lo      date        NOT NULL,
    hi      date        NOT NULL
);
-- Every weekly or monthly listing of a ticker looks here: by index, however many dead rows the
-- folds have left since the last vacuum.
CREATE INDEX ix_derived_bars_pending_ticker ON derived_bars_pending (ticker);

CREATE FUNCTION derived_bars_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO derived_bars_pending (ticker, lo, hi) SELECT ticker, min(date), max(date) FROM new_rows GROUP BY ticker;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO derived_bars_pending (ticker, lo, hi) SELECT ticker, min(date), max(date) FROM old_rows GROUP BY ticker;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION derived_bars_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(727000005);
    DELETE FROM derived_bars;
    DELETE FROM derived_bars_pending;
    RETURN NULL;
END $$;

CREATE TRIGGER market_data_derived_inserted AFTER INSERT ON market_data REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION derived_bars_changed();
CREATE TRIGGER market_data_derived_updated AFTER UPDATE ON market_data REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION derived_bars_changed();
CREATE TRIGGER market_data_derived_deleted AFTER DELETE ON market_data REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION derived_bars_changed();
CREATE TRIGGER market_data_derived_truncated AFTER TRUNCATE ON market_data
    FOR EACH STATEMENT EXECUTE FUNCTION derived_bars_truncated();

-- The first day of the week (Monday) or month holding a date, and the last.
CREATE FUNCTION period_start(kind text, d date) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN kind = '1w' THEN d - (extract(isodow FROM d)::int - 1) ELSE d - (extract(day FROM d)::int - 1) END
$$;
CREATE FUNCTION period_end(kind text, d date) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN kind = '1w' THEN d + (7 - extract(isodow FROM d)::int)
                ELSE (date_trunc('month', d::timestamp) + interval '1 month - 1 day')::date END
$$;

-- Remakes the periods of the pending ranges (those committed: a range written meanwhile stays
-- for the next time) of every ticker, or of the first `max_tickers` (a caller folding in steps);
-- returns how many tickers it remade. One session at a time. One statement:
-- periods with bars are upserted, periods left without bars deleted (disjoint rows); its
-- data-modifying parts run to completion whether read or not.
CREATE FUNCTION fold_derived_bars(max_tickers bigint DEFAULT NULL) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    folded bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(727000005) THEN
        RETURN 0;
    END IF;
    WITH moved AS (
        DELETE FROM derived_bars_pending
        WHERE max_tickers IS NULL OR ticker IN (SELECT DISTINCT ticker FROM derived_bars_pending ORDER BY ticker LIMIT max_tickers)
        RETURNING ticker, lo, hi
    ),
    ranges AS (SELECT ticker, min(lo) AS lo, max(hi) AS hi FROM moved GROUP BY ticker),
    periods AS (
        SELECT f.ticker, i.interval, period_start(i.interval, f.lo) AS lo, period_end(i.interval, f.hi) AS hi
        FROM ranges f CROSS JOIN (VALUES ('1w'), ('1mo')) AS i(interval)
    ),
    gone AS (
        DELETE FROM derived_bars b USING periods p
        WHERE b.ticker = p.ticker AND b.interval = p.interval AND b.period BETWEEN p.lo AND p.hi
          AND (NOT EXISTS (SELECT FROM market_data m WHERE m.ticker = b.ticker AND m.date BETWEEN b.period AND period_end(b.interval, b.period))
               OR EXISTS (SELECT FROM period_bars s WHERE s.ticker = b.ticker AND s.interval = b.interval AND s.period = b.period))
        RETURNING 1
    ),
    made AS (
        INSERT INTO derived_bars AS d (ticker, interval, period, date, open, high, low, close, volume, created_at, updated_at)
        SELECT m.ticker, p.interval, period_start(p.interval, m.date), max(m.date),
               (array_agg(m.open ORDER BY m.date))[1], max(m.high), min(m.low), (array_agg(m.close ORDER BY m.date DESC))[1],
               sum(m.volume), min(m.created_at), max(m.updated_at)
        FROM periods p JOIN market_data m ON m.ticker = p.ticker AND m.date BETWEEN p.lo AND p.hi
        WHERE NOT EXISTS (SELECT FROM period_bars s WHERE s.ticker = m.ticker AND s.interval = p.interval AND s.period = period_start(p.interval, m.date))
        GROUP BY m.ticker, p.interval, period_start(p.interval, m.date)
        ON CONFLICT (ticker, interval, period) DO UPDATE SET
            date = EXCLUDED.date, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
            volume = EXCLUDED.volume, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
        WHERE (d.date, d.open, d.high, d.low, d.close, d.volume, d.created_at, d.updated_at)
            IS DISTINCT FROM (EXCLUDED.date, EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume, EXCLUDED.created_at, EXCLUDED.updated_at)
        RETURNING 1
    )
    SELECT count(*) FROM ranges INTO folded;
    RETURN folded;
END $$;

-- A stored bar replaces the derived one of its period; a stored bar deleted leaves its period to be
-- derived again by the next fold. Under the fold's lock, so that a fold running meanwhile cannot
-- bring back a derived bar for a period that has just got a stored one.
CREATE FUNCTION derived_bars_stored_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(727000005);
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        DELETE FROM derived_bars b USING new_rows n WHERE b.ticker = n.ticker AND b.interval = n.interval AND b.period = n.period;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO derived_bars_pending (ticker, lo, hi) SELECT ticker, min(period), max(period_end(interval, period)) FROM old_rows GROUP BY ticker;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER period_bars_derived_inserted AFTER INSERT ON period_bars REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION derived_bars_stored_changed();
CREATE TRIGGER period_bars_derived_updated AFTER UPDATE ON period_bars REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION derived_bars_stored_changed();
CREATE TRIGGER period_bars_derived_deleted AFTER DELETE ON period_bars REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION derived_bars_stored_changed();

-- The bars stored before this table existed.
INSERT INTO derived_bars_pending (ticker, lo, hi) SELECT ticker, min(date), max(date) FROM market_data GROUP BY ticker;
SELECT fold_derived_bars();
