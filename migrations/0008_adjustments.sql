-- Adjusted prices are computed on read from the stored raw bars and a small table of adjustment
-- factors, kept by triggers from the corporate actions (migration 0007) and the bars they depend
-- on. A bar dated d is adjusted by the actions with ex_date > d: its prices are divided by the
-- product of those splits' factors and multiplied by the product, over those dividends, of
-- 1 - amount / (the raw close of the ticker's last bar before the ex-date). No bar is ever
-- rewritten for an adjustment: a split recorded later changes every read at once.
--
-- Why a table and not only a query: a dividend's factor needs the close before its ex-date, one
-- index probe per dividend (~80 for 20 years of quarterly dividends) on every read of a page.
-- Kept here, a read joins each bar of its page to one row.

-- PostgreSQL has no product aggregate; one over NUMERIC keeps it exact.
CREATE AGGREGATE numeric_product(numeric) (SFUNC = numeric_mul, STYPE = numeric, INITCOND = '1');

-- Bars dated from from_date up to the day before to_date (an ex-date) carry these factors, made
-- of the actions on to_date and every later ex-date: split_factor S (the splits' product, exact:
-- their factors have at most 6 decimals, volumes are multiplied by it), and the factors prices are
-- multiplied by, each carried to 24 decimal places: split_price = 1 / S, and total_price = D / S,
-- with D the product over the dividends of 1 - amount / close (each carried to 20 places). Bars
-- after the last ex-date have no row (factor 1).
CREATE TABLE adjustment_factors (
    ticker       varchar(16) NOT NULL,
    from_date    date        NOT NULL,
    to_date      date        NOT NULL,
    split_factor numeric     NOT NULL,
    split_price  numeric     NOT NULL,
    total_price  numeric     NOT NULL,
    PRIMARY KEY (ticker, to_date)
);

-- Recomputes the factors of some tickers from their actions and bars. Tickers are locked one by
-- one, in order, for the rest of the transaction: two writers refreshing the same ticker take
-- turns (and the second sees the first's rows).
CREATE FUNCTION refresh_adjustment_factors(refresh varchar[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t varchar;
BEGIN
    -- Most writes of bars concern no ticker with a later dividend: nothing to do, cheaply.
    IF coalesce(cardinality(refresh), 0) = 0 THEN
        RETURN;
    END IF;
    FOR t IN SELECT DISTINCT x FROM unnest(refresh) AS x WHERE x IS NOT NULL ORDER BY x LOOP
        PERFORM pg_advisory_xact_lock(727000004, hashtext(t));
    END LOOP;
    DELETE FROM adjustment_factors WHERE ticker = ANY (refresh);
    INSERT INTO adjustment_factors (ticker, from_date, to_date, split_factor, split_price, total_price)
    SELECT ticker, from_date, to_date, s, round(1 / s, 24), round(d / s, 24)
    FROM (
    SELECT ticker, coalesce(lag(ex_date) OVER earlier, '-infinity') AS from_date, ex_date AS to_date,
           numeric_product(split) OVER later AS s, numeric_product(dividend) OVER later AS d
    FROM (
        SELECT ticker, ex_date, numeric_product(split) AS split, numeric_product(dividend) AS dividend
        FROM (
            SELECT s.ticker, s.ex_date, s.factor AS split, 1::numeric AS dividend
            FROM splits s WHERE s.ticker = ANY (refresh)
            UNION ALL
            -- A dividend as large as the close before it would zero the history: a unit mix-up
            -- in the source, not applied.
            SELECT d.ticker, d.ex_date, 1, CASE WHEN d.amount < c.close THEN round(1 - d.amount / c.close, 20) ELSE 1 END
            FROM dividends d
            CROSS JOIN LATERAL (
                SELECT m.close FROM market_data m WHERE m.ticker = d.ticker AND m.date < d.ex_date ORDER BY m.date DESC LIMIT 1
            ) AS c
            WHERE d.ticker = ANY (refresh)
        ) AS actions
        GROUP BY ticker, ex_date
    ) AS per_day
    WINDOW earlier AS (PARTITION BY ticker ORDER BY ex_date), later AS (PARTITION BY ticker ORDER BY ex_date DESC)
    ) AS cumulative;
END $$;

-- A change of splits or dividends refreshes their tickers.
CREATE FUNCTION adjustment_factors_actions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM refresh_adjustment_factors(ARRAY(SELECT DISTINCT ticker FROM new_rows));
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM refresh_adjustment_factors(ARRAY(SELECT DISTINCT ticker FROM old_rows));
    END IF;
    RETURN NULL;
END $$;

-- A change of bars matters only to a ticker with a dividend after the earliest changed bar (the
-- close before that ex-date may be another now); one aggregate over the statement's rows.
CREATE FUNCTION adjustment_factors_bars_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM refresh_adjustment_factors(ARRAY(
            SELECT r.ticker FROM (SELECT ticker, min(date) AS since FROM new_rows GROUP BY ticker) AS r
            WHERE EXISTS (SELECT FROM dividends d WHERE d.ticker = r.ticker AND d.ex_date > r.since)));
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM refresh_adjustment_factors(ARRAY(
            SELECT r.ticker FROM (SELECT ticker, min(date) AS since FROM old_rows GROUP BY ticker) AS r
            WHERE EXISTS (SELECT FROM dividends d WHERE d.ticker = r.ticker AND d.ex_date > r.since)));
    END IF;
    RETURN NULL;
END $$;

-- A TRUNCATE of bars or of actions: every ticker with factors is made again from what is left.
CREATE FUNCTION adjustment_factors_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_adjustment_factors(ARRAY(SELECT DISTINCT ticker FROM adjustment_factors));
    RETURN NULL;
END $$;

CREATE TRIGGER splits_adjustment_inserted AFTER INSERT ON splits REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_actions_changed();
CREATE TRIGGER splits_adjustment_updated AFTER UPDATE ON splits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_actions_changed();
CREATE TRIGGER splits_adjustment_deleted AFTER DELETE ON splits REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_actions_changed();
CREATE TRIGGER splits_adjustment_truncated AFTER TRUNCATE ON splits
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_truncated();

CREATE TRIGGER dividends_adjustment_inserted AFTER INSERT ON dividends REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_actions_changed();
CREATE TRIGGER dividends_adjustment_updated AFTER UPDATE ON dividends REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_actions_changed();
CREATE TRIGGER dividends_adjustment_deleted AFTER DELETE ON dividends REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_actions_changed();
CREATE TRIGGER dividends_adjustment_truncated AFTER TRUNCATE ON dividends
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_truncated();

CREATE TRIGGER market_data_adjustment_inserted AFTER INSERT ON market_data REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_bars_changed();
CREATE TRIGGER market_data_adjustment_updated AFTER UPDATE ON market_data REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_bars_changed();
CREATE TRIGGER market_data_adjustment_deleted AFTER DELETE ON market_data REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_bars_changed();
CREATE TRIGGER market_data_adjustment_truncated AFTER TRUNCATE ON market_data
    FOR EACH STATEMENT EXECUTE FUNCTION adjustment_factors_truncated();

-- Existing actions (0007 stored them before this table existed).
SELECT refresh_adjustment_factors(ARRAY(SELECT ticker FROM splits UNION SELECT ticker FROM dividends));
