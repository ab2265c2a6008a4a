-- An exact row count per date, kept by statement-level triggers so that `total` in listings costs
-- a sum over at most one row per day instead of a count(*) over millions of rows.
-- Triggers (not application code) keep it, so it stays right however rows arrive: the API, the
-- ETL, or a user's own INSERT, UPDATE, DELETE, COPY or TRUNCATE in psql. Counts are per date, not
-- per ticker or global, so concurrent writers of different days never wait on each other.
CREATE TABLE market_data_day_counts (
    date  date   PRIMARY KEY,
    rows  bigint NOT NULL
);

INSERT INTO market_data_day_counts (date, rows)
SELECT date, count(*) FROM market_data GROUP BY date;

-- Rows are applied in date order so concurrent statements lock count rows in the same order.
CREATE FUNCTION market_data_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO market_data_day_counts AS c (date, rows)
    SELECT date, count(*) FROM inserted GROUP BY date ORDER BY date
    ON CONFLICT (date) DO UPDATE SET rows = c.rows + EXCLUDED.rows;
    RETURN NULL;
END $$;

CREATE FUNCTION market_data_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO market_data_day_counts AS c (date, rows)
    SELECT date, -count(*) FROM deleted GROUP BY date ORDER BY date
    ON CONFLICT (date) DO UPDATE SET rows = c.rows + EXCLUDED.rows;
    RETURN NULL;
END $$;

-- Only a change of date moves a row between counts; price and volume updates net to nothing.
CREATE FUNCTION market_data_count_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO market_data_day_counts AS c (date, rows)
    SELECT date, sum(n) FROM (
        SELECT date, 1 AS n FROM after_update
        UNION ALL
        SELECT date, -1 FROM before_update
    ) AS moved
    GROUP BY date HAVING sum(n) <> 0 ORDER BY date
    ON CONFLICT (date) DO UPDATE SET rows = c.rows + EXCLUDED.rows;
    RETURN NULL;
END $$;

CREATE FUNCTION market_data_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM market_data_day_counts;
    RETURN NULL;
END $$;

CREATE TRIGGER market_data_count_insert AFTER INSERT ON market_data
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION market_data_count_inserted();
CREATE TRIGGER market_data_count_delete AFTER DELETE ON market_data
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION market_data_count_deleted();
CREATE TRIGGER market_data_count_update AFTER UPDATE ON market_data
    REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION market_data_count_updated();
CREATE TRIGGER market_data_count_truncate AFTER TRUNCATE ON market_data
    FOR EACH STATEMENT EXECUTE FUNCTION market_data_count_truncated();
