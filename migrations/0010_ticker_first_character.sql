-- A ticker's first character must be a letter or digit, as the API and the ETL now require
-- (src/model/bar.ts): `-2-3` in a CSV export is a formula when opened in a spreadsheet.
-- Rows stored before the rule are kept: if any breaks it, the constraint still holds for every
-- new or changed row but is left NOT VALID (VALIDATE CONSTRAINT once those rows are dealt with).
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('market_data', 'ck_market_data_ticker'),
        ('period_bars', 'ck_period_bars_ticker'),
        ('splits', 'splits_ticker_check'),
        ('dividends', 'dividends_ticker_check')) AS c(tbl, con)
    LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t.tbl, t.con);
        BEGIN
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (ticker ~ ''^[A-Z0-9][A-Z0-9.-]{0,15}$'')', t.tbl, t.con);
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING '% has tickers not starting with a letter or digit; % left NOT VALID', t.tbl, t.con;
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (ticker ~ ''^[A-Z0-9][A-Z0-9.-]{0,15}$'') NOT VALID', t.tbl, t.con);
        END;
    END LOOP;
END $$;
