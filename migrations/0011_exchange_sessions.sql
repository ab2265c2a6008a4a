-- The exchange's trading sessions (NYSE), so that data quality is computed in SQL against the
-- calendar: which sessions a ticker lacks, which bars fall on days without one. The rows are
-- made from the rule table in src/model/calendar.ts, not here: the service writes them when it
-- first needs them and rewrites them when that calendar changes (src/db/sessions.ts), so the
-- rules live in one place. `n` numbers the sessions in order: the sessions between two dates
-- are a difference of two numbers, not a count.
CREATE TABLE exchange_sessions (
    date         date    PRIMARY KEY,
    n            integer NOT NULL UNIQUE,
    early_close  boolean NOT NULL DEFAULT false
);
