-- ETL run history, the Alpha Vantage request budget, and the shared schedule.

CREATE TABLE etl_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trigger      text        NOT NULL CHECK (trigger IN ('schedule', 'api', 'cli')),
    source       text        NOT NULL DEFAULT 'alpha_vantage', -- or 'csv:<file name>' for an import
    status       text        NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'aborted')),
    tickers      text[]      NOT NULL,
    force        boolean     NOT NULL DEFAULT false,
    incremental  boolean     NOT NULL DEFAULT true,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    error        text
);

-- One row per ticker of a run, written as soon as the ticker is done, so a run in progress (or one
-- a crash interrupted) shows how far it got.
CREATE TABLE etl_run_tickers (
    run_id       bigint      NOT NULL REFERENCES etl_runs (id) ON DELETE CASCADE,
    position     integer     NOT NULL,
    ticker       varchar(16) NOT NULL,
    status       text        NOT NULL CHECK (status IN ('success', 'skipped', 'no_new_data', 'failed')),
    output_size  text        CHECK (output_size IN ('compact', 'full')),
    requests     integer     NOT NULL DEFAULT 0,
    extracted    integer     NOT NULL DEFAULT 0,
    transformed  integer     NOT NULL DEFAULT 0,
    inserted     integer     NOT NULL DEFAULT 0,
    updated      integer     NOT NULL DEFAULT 0,
    unchanged    integer     NOT NULL DEFAULT 0,
    rejected     integer     NOT NULL DEFAULT 0,
    rejections   jsonb       NOT NULL DEFAULT '[]', -- the first [{date, reason}] of the rejected rows
    reason       text,
    fetched_at   timestamptz, -- when Alpha Vantage answered with data for this ticker
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, position)
);
CREATE INDEX ix_etl_run_tickers_fetched ON etl_run_tickers (ticker, fetched_at DESC) WHERE fetched_at IS NOT NULL;

-- Requests made to Alpha Vantage per (New York) day: kept here so a restart does not reset the
-- budget, and shared by every process using the same database.
CREATE TABLE alpha_vantage_usage (
    day       date    PRIMARY KEY,
    requests  integer NOT NULL CHECK (requests >= 0)
);

-- When the next scheduled run is due. A replica runs the ETL only if it moves next_run_at forward
-- itself (a guarded upsert), so replicas sharing the database run it once per interval between them.
CREATE TABLE etl_schedule (
    name         text        PRIMARY KEY,
    next_run_at  timestamptz NOT NULL,
    claimed_by   text,
    claimed_at   timestamptz
);
