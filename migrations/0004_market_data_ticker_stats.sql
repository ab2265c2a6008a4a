-- A row count and a last-change time per ticker, kept by statement-level triggers like the per-day
-- counts of 0002, so that listing every ticker with its size (the dashboard's first request) reads
-- one row per ticker instead of counting millions of rows. First and last dates need no keeping:
-- they are two probes of the (ticker, date) index at read time.
-- A writer holds its ticker's row until it commits, so concurrent writers of the SAME ticker
-- queue behind each other (the ETL loads a ticker in one transaction anyway); writers of
-- different tickers never wait on each other.
CREATE TABLE market_data_ticker_stats (
    ticker      varchar(16) PRIMARY KEY,
    rows        bigint      NOT NULL,
    -- the last insert, update or delete of the ticker's rows (an upsert that changed nothing
    -- does not count: its rows never reach the update transition table)
    changed_at  timestamptz NOT NULL
);

INSERT INTO market_data_ticker_stats (ticker, rows, changed_at)
SELECT ticker, count(*), max(updated_at) FROM market_data GROUP BY ticker;

-- Tickers are applied in order so concurrent statements lock stats rows in the same order.
CREATE FUNCTION market_data_ticker_stats_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO market_data_ticker_stats AS s (ticker, rows, changed_at)
    SELECT ticker, count(*), now() FROM inserted GROUP BY ticker ORDER BY ticker
    ON CONFLICT (ticker) DO UPDATE SET rows = s.rows + EXCLUDED.rows, changed_at = greatest(s.changed_at, EXCLUDED.changed_at);
    RETURN NULL;
END $$;

CREATE FUNCTION market_data_ticker_stats_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO market_data_ticker_stats AS s (ticker, rows, changed_at)
    SELECT ticker, -count(*), now() FROM deleted GROUP BY ticker ORDER BY ticker
    ON CONFLICT (ticker) DO UPDATE SET rows = s.rows + EXCLUDED.rows, changed_at = greatest(s.changed_at, EXCLUDED.changed_at);
    RETURN NULL;
END $$;

-- Every updated ticker gets a new changed_at; only a change of ticker moves rows between counts.
CREATE FUNCTION market_data_ticker_stats_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO market_data_ticker_stats AS s (ticker, rows, changed_at)
    SELECT ticker, sum(n), now() FROM (
        SELECT ticker, 1 AS n FROM after_update
        UNION ALL
        SELECT ticker, -1 FROM before_update
    ) AS moved
    GROUP BY ticker ORDER BY ticker
    ON CONFLICT (ticker) DO UPDATE SET rows = s.rows + EXCLUDED.rows, changed_at = greatest(s.changed_at, EXCLUDED.changed_at);
    RETURN NULL;
END $$;

CREATE FUNCTION market_data_ticker_stats_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM market_data_ticker_stats;
    RETURN NULL;
END $$;

CREATE TRIGGER market_data_ticker_stats_insert AFTER INSERT ON market_data
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION market_data_ticker_stats_inserted();
CREATE TRIGGER market_data_ticker_stats_delete AFTER DELETE ON market_data
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION market_data_ticker_stats_deleted();
CREATE TRIGGER market_data_ticker_stats_update AFTER UPDATE ON market_data
    REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION market_data_ticker_stats_updated();
CREATE TRIGGER market_data_ticker_stats_truncate AFTER TRUNCATE ON market_data
    FOR EACH STATEMENT EXECUTE FUNCTION market_data_ticker_stats_truncated();
