-- A ticker's first character must be a letter or digit, as the API and the ETL now require
-- (src/model/bar.ts): `-2-3` in a CSV export is a formula when opened in a spreadsheet.
-- Rows stored before the rule are kept: if any breaks it, the constraint still holds for every
-- new or changed row but is left NOT VALID (VALIDATE CONSTRAINT once those rows are dealt with).
ALTER TABLE market_data DROP CONSTRAINT ck_market_data_ticker;
DO $$
BEGIN
    ALTER TABLE market_data ADD CONSTRAINT ck_market_data_ticker CHECK (ticker ~ '^[A-Z0-9][A-Z0-9.-]{0,15}$');
EXCEPTION WHEN check_violation THEN
    RAISE WARNING 'market_data has tickers not starting with a letter or digit; ck_market_data_ticker left NOT VALID';
    ALTER TABLE market_data ADD CONSTRAINT ck_market_data_ticker CHECK (ticker ~ '^[A-Z0-9][A-Z0-9.-]{0,15}$') NOT VALID;
END $$;
