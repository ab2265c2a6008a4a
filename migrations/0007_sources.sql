-- Acquisition from sources that offer several datasets: weekly and monthly bars, splits and
-- dividends stored as the source gave them; what each account may fetch (learned, not assumed);
-- when each ticker's datasets were last fetched; request budgets per source.

-- Weekly and monthly bars, raw (not adjusted), exact. A source keys the newest, partial period by
-- its latest trading day, so the key moves as days pass: the table keeps one bar per ticker,
-- interval and period (`period` is the period's first calendar day: the Monday, the 1st), and a
-- refresh replaces the period's earlier partial bar. Same price rules as market_data.
CREATE TABLE period_bars (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticker      varchar(16)   NOT NULL,
    interval    text          NOT NULL CHECK (interval IN ('1w', '1mo')),
    date        date          NOT NULL, -- the source's key: the period's last trading day so far
    period      date          NOT NULL GENERATED ALWAYS AS (
                    CASE WHEN interval = '1w' THEN date - (extract(isodow FROM date)::int - 1)
                         ELSE date - (extract(day FROM date)::int - 1) END) STORED,
    open        numeric(15,6) NOT NULL,
    high        numeric(15,6) NOT NULL,
    low         numeric(15,6) NOT NULL,
    close       numeric(15,6) NOT NULL,
    volume      bigint        NOT NULL,
    created_at  timestamptz   NOT NULL DEFAULT now(),
    updated_at  timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT uq_period_bars UNIQUE (ticker, interval, period),
    CONSTRAINT ck_period_bars_ticker CHECK (ticker ~ '^[A-Z0-9.-]{1,16}$'),
    CONSTRAINT ck_period_bars_prices_positive CHECK (open > 0 AND high > 0 AND low > 0 AND close > 0),
    CONSTRAINT ck_period_bars_open_in_range CHECK (low <= open AND open <= high),
    CONSTRAINT ck_period_bars_close_in_range CHECK (low <= close AND close <= high),
    CONSTRAINT ck_period_bars_volume CHECK (volume >= 0 AND volume <= 9007199254740991)
);
-- Listings across tickers, newest first (as market_data's (date DESC, ticker)); per ticker, the
-- unique index's (ticker, interval, period) follows date order.
CREATE INDEX ix_period_bars_listing ON period_bars (interval, date DESC, ticker);

-- Corporate actions, as the source lists them. A split's factor is new shares per old share
-- (4 = 4-for-1, 0.5 = 1-for-2); a dividend's amount is per share, on its ex-date.
CREATE TABLE splits (
    ticker      varchar(16)   NOT NULL CHECK (ticker ~ '^[A-Z0-9.-]{1,16}$'),
    ex_date     date          NOT NULL,
    factor      numeric(15,6) NOT NULL CHECK (factor > 0),
    updated_at  timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (ticker, ex_date)
);

CREATE TABLE dividends (
    ticker            varchar(16)   NOT NULL CHECK (ticker ~ '^[A-Z0-9.-]{1,16}$'),
    ex_date           date          NOT NULL,
    declaration_date  date,
    record_date       date,
    payment_date      date,
    amount            numeric(15,6) NOT NULL CHECK (amount >= 0),
    updated_at        timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (ticker, ex_date)
);

-- When each source last answered with data for each dataset of a ticker, so that a run asks only
-- for what can have changed. Daily fetches were recorded in etl_run_tickers.fetched_at until now.
CREATE TABLE ticker_datasets (
    source      text        NOT NULL,
    ticker      varchar(16) NOT NULL,
    dataset     text        NOT NULL CHECK (dataset IN ('daily', 'weekly', 'monthly', 'splits', 'dividends')),
    fetched_at  timestamptz NOT NULL,
    PRIMARY KEY (source, ticker, dataset)
);
INSERT INTO ticker_datasets (source, ticker, dataset, fetched_at)
SELECT 'alpha_vantage', ticker, 'daily', max(fetched_at) FROM etl_run_tickers
WHERE fetched_at IS NOT NULL AND run_id IN (SELECT id FROM etl_runs WHERE source = 'alpha_vantage') GROUP BY ticker;

-- What an account may fetch, learned from the source's answers: per source, per account (a hash
-- of the key, never the key) and per entitlement (a function and parameter, named by the source).
CREATE TABLE source_entitlements (
    source       text        NOT NULL,
    account      text        NOT NULL,
    entitlement  text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('allowed', 'refused')),
    reason       text,
    checked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, account, entitlement)
);

-- Requests per source and (New York) day, replacing alpha_vantage_usage.
CREATE TABLE source_usage (
    source    text    NOT NULL,
    day       date    NOT NULL,
    requests  integer NOT NULL CHECK (requests >= 0),
    PRIMARY KEY (source, day)
);
INSERT INTO source_usage (source, day, requests) SELECT 'alpha_vantage', day, requests FROM alpha_vantage_usage;
DROP TABLE alpha_vantage_usage;

-- Runs: work planned and done (progress while running), and `deferred` for tickers whose due
-- work did not fit today's budget. Each ticker's result lists its datasets.
ALTER TABLE etl_runs
    ADD COLUMN work_total integer NOT NULL DEFAULT 0,
    ADD COLUMN work_done  integer NOT NULL DEFAULT 0;
ALTER TABLE etl_run_tickers
    DROP CONSTRAINT etl_run_tickers_status_check,
    ADD CONSTRAINT etl_run_tickers_status_check CHECK (status IN ('success', 'skipped', 'no_new_data', 'failed', 'deferred')),
    ADD COLUMN datasets jsonb NOT NULL DEFAULT '[]';
