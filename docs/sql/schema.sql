-- The schema after every migration, as pg_dump --schema-only of PostgreSQL 15 gives it.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

CREATE FUNCTION public.adjustment_factors_actions_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM refresh_adjustment_factors(ARRAY(SELECT DISTINCT ticker FROM new_rows));
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM refresh_adjustment_factors(ARRAY(SELECT DISTINCT ticker FROM old_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION public.adjustment_factors_bars_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.adjustment_factors_truncated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM refresh_adjustment_factors(ARRAY(SELECT DISTINCT ticker FROM adjustment_factors));
    RETURN NULL;
END $$;

CREATE FUNCTION public.derived_bars_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO derived_bars_pending (ticker, lo, hi) SELECT ticker, min(date), max(date) FROM new_rows GROUP BY ticker;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO derived_bars_pending (ticker, lo, hi) SELECT ticker, min(date), max(date) FROM old_rows GROUP BY ticker;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION public.derived_bars_stored_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.derived_bars_truncated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(727000005);
    DELETE FROM derived_bars;
    DELETE FROM derived_bars_pending;
    RETURN NULL;
END $$;

CREATE FUNCTION public.fold_derived_bars(max_tickers bigint DEFAULT NULL::bigint) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.market_data_compact_counts(max_rows bigint DEFAULT NULL::bigint) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.market_data_count_deleted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO market_data_day_count_deltas (date, rows) SELECT date, -count(*) FROM deleted GROUP BY date;
    RETURN NULL;
END $$;

CREATE FUNCTION public.market_data_count_inserted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO market_data_day_count_deltas (date, rows) SELECT date, count(*) FROM inserted GROUP BY date;
    RETURN NULL;
END $$;

CREATE FUNCTION public.market_data_count_truncated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(727000003);
    DELETE FROM market_data_day_counts;
    DELETE FROM market_data_day_count_deltas;
    UPDATE market_data_total SET rows = 0;
    RETURN NULL;
END $$;

CREATE FUNCTION public.market_data_count_updated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO market_data_day_count_deltas (date, rows)
    SELECT date, sum(n) FROM (
        SELECT date, 1 AS n FROM after_update
        UNION ALL
        SELECT date, -1 FROM before_update
    ) AS moved
    GROUP BY date HAVING sum(n) <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION public.market_data_ticker_stats_deleted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO market_data_ticker_stat_deltas (ticker, rows, changed_at) SELECT ticker, -count(*), now() FROM deleted GROUP BY ticker;
    RETURN NULL;
END $$;

CREATE FUNCTION public.market_data_ticker_stats_inserted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO market_data_ticker_stat_deltas (ticker, rows, changed_at) SELECT ticker, count(*), now() FROM inserted GROUP BY ticker;
    RETURN NULL;
END $$;

CREATE FUNCTION public.market_data_ticker_stats_truncated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(727000003);
    DELETE FROM market_data_ticker_stats;
    DELETE FROM market_data_ticker_stat_deltas;
    RETURN NULL;
END $$;

CREATE FUNCTION public.market_data_ticker_stats_updated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO market_data_ticker_stat_deltas (ticker, rows, changed_at)
    SELECT ticker, sum(n), now() FROM (
        SELECT ticker, 1 AS n FROM after_update
        UNION ALL
        SELECT ticker, -1 FROM before_update
    ) AS moved
    GROUP BY ticker;
    RETURN NULL;
END $$;

CREATE FUNCTION public.period_end(kind text, d date) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN kind = '1w' THEN d + (7 - extract(isodow FROM d)::int)
                ELSE (date_trunc('month', d::timestamp) + interval '1 month - 1 day')::date END
$$;

CREATE FUNCTION public.period_start(kind text, d date) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN kind = '1w' THEN d - (extract(isodow FROM d)::int - 1) ELSE d - (extract(day FROM d)::int - 1) END
$$;

CREATE FUNCTION public.refresh_adjustment_factors(refresh character varying[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
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

CREATE AGGREGATE public.numeric_product(numeric) (
    SFUNC = numeric_mul,
    STYPE = numeric,
    INITCOND = '1'
);

CREATE TABLE public.adjustment_factors (
    ticker character varying(16) NOT NULL,
    from_date date NOT NULL,
    to_date date NOT NULL,
    split_factor numeric NOT NULL,
    split_price numeric NOT NULL,
    total_price numeric NOT NULL
);

CREATE TABLE public.derived_bars (
    ticker character varying(16) NOT NULL,
    "interval" text NOT NULL,
    period date NOT NULL,
    date date NOT NULL,
    open numeric(15,6) NOT NULL,
    high numeric(15,6) NOT NULL,
    low numeric(15,6) NOT NULL,
    close numeric(15,6) NOT NULL,
    volume bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT derived_bars_interval_check CHECK (("interval" = ANY (ARRAY['1w'::text, '1mo'::text])))
);

CREATE TABLE public.derived_bars_pending (
    ticker character varying(16) NOT NULL,
    lo date NOT NULL,
    hi date NOT NULL
);

CREATE TABLE public.dividends (
    ticker character varying(16) NOT NULL,
    ex_date date NOT NULL,
    declaration_date date,
    record_date date,
    payment_date date,
    amount numeric(15,6) NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT dividends_amount_check CHECK ((amount >= (0)::numeric)),
    CONSTRAINT dividends_ticker_check CHECK (((ticker)::text ~ '^[A-Z0-9][A-Z0-9.-]{0,15}$'::text))
);

CREATE TABLE public.etl_run_tickers (
    run_id bigint NOT NULL,
    "position" integer NOT NULL,
    ticker character varying(16) NOT NULL,
    status text NOT NULL,
    output_size text,
    requests integer DEFAULT 0 NOT NULL,
    extracted integer DEFAULT 0 NOT NULL,
    transformed integer DEFAULT 0 NOT NULL,
    inserted integer DEFAULT 0 NOT NULL,
    updated integer DEFAULT 0 NOT NULL,
    unchanged integer DEFAULT 0 NOT NULL,
    rejected integer DEFAULT 0 NOT NULL,
    rejections jsonb DEFAULT '[]'::jsonb NOT NULL,
    reason text,
    fetched_at timestamp with time zone,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone DEFAULT now() NOT NULL,
    datasets jsonb DEFAULT '[]'::jsonb NOT NULL,
    CONSTRAINT etl_run_tickers_output_size_check CHECK ((output_size = ANY (ARRAY['compact'::text, 'full'::text]))),
    CONSTRAINT etl_run_tickers_status_check CHECK ((status = ANY (ARRAY['success'::text, 'skipped'::text, 'no_new_data'::text, 'failed'::text, 'deferred'::text])))
);

CREATE TABLE public.etl_runs (
    id bigint NOT NULL,
    trigger text NOT NULL,
    source text DEFAULT 'alpha_vantage'::text NOT NULL,
    status text NOT NULL,
    tickers text[] NOT NULL,
    force boolean DEFAULT false NOT NULL,
    incremental boolean DEFAULT true NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    error text,
    work_total integer DEFAULT 0 NOT NULL,
    work_done integer DEFAULT 0 NOT NULL,
    CONSTRAINT etl_runs_status_check CHECK ((status = ANY (ARRAY['running'::text, 'completed'::text, 'failed'::text, 'aborted'::text]))),
    CONSTRAINT etl_runs_trigger_check CHECK ((trigger = ANY (ARRAY['schedule'::text, 'api'::text, 'cli'::text])))
);

ALTER TABLE public.etl_runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.etl_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.etl_schedule (
    name text NOT NULL,
    next_run_at timestamp with time zone NOT NULL,
    claimed_by text,
    claimed_at timestamp with time zone
);

CREATE TABLE public.exchange_sessions (
    date date NOT NULL,
    n integer NOT NULL,
    early_close boolean DEFAULT false NOT NULL
);

CREATE TABLE public.market_data (
    id bigint NOT NULL,
    ticker character varying(16) NOT NULL,
    date date NOT NULL,
    open numeric(15,6) NOT NULL,
    high numeric(15,6) NOT NULL,
    low numeric(15,6) NOT NULL,
    close numeric(15,6) NOT NULL,
    volume bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_market_data_close_in_range CHECK (((low <= close) AND (close <= high))),
    CONSTRAINT ck_market_data_open_in_range CHECK (((low <= open) AND (open <= high))),
    CONSTRAINT ck_market_data_prices_positive CHECK (((open > (0)::numeric) AND (high > (0)::numeric) AND (low > (0)::numeric) AND (close > (0)::numeric))),
    CONSTRAINT ck_market_data_ticker CHECK (((ticker)::text ~ '^[A-Z0-9][A-Z0-9.-]{0,15}$'::text)),
    CONSTRAINT ck_market_data_volume CHECK (((volume >= 0) AND (volume <= '9007199254740991'::bigint)))
);

CREATE TABLE public.market_data_day_count_deltas (
    date date NOT NULL,
    rows bigint NOT NULL
);

CREATE TABLE public.market_data_day_counts (
    date date NOT NULL,
    rows bigint NOT NULL
);

CREATE VIEW public.market_data_day_totals AS
 SELECT d.date,
    (sum(d.rows))::bigint AS rows
   FROM ( SELECT market_data_day_counts.date,
            market_data_day_counts.rows
           FROM public.market_data_day_counts
        UNION ALL
         SELECT market_data_day_count_deltas.date,
            market_data_day_count_deltas.rows
           FROM public.market_data_day_count_deltas) d
  GROUP BY d.date;

ALTER TABLE public.market_data ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.market_data_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.market_data_ticker_stat_deltas (
    ticker character varying(16) NOT NULL,
    rows bigint NOT NULL,
    changed_at timestamp with time zone NOT NULL
);

CREATE TABLE public.market_data_ticker_stats (
    ticker character varying(16) NOT NULL,
    rows bigint NOT NULL,
    changed_at timestamp with time zone NOT NULL
);

CREATE VIEW public.market_data_ticker_totals AS
 SELECT t.ticker,
    (sum(t.rows))::bigint AS rows,
    max(t.changed_at) AS changed_at
   FROM ( SELECT market_data_ticker_stats.ticker,
            market_data_ticker_stats.rows,
            market_data_ticker_stats.changed_at
           FROM public.market_data_ticker_stats
        UNION ALL
         SELECT market_data_ticker_stat_deltas.ticker,
            market_data_ticker_stat_deltas.rows,
            market_data_ticker_stat_deltas.changed_at
           FROM public.market_data_ticker_stat_deltas) t
  GROUP BY t.ticker;

CREATE TABLE public.market_data_total (
    only_row boolean DEFAULT true NOT NULL,
    rows bigint NOT NULL,
    CONSTRAINT market_data_total_only_row_check CHECK (only_row)
);

CREATE TABLE public.period_bars (
    id bigint NOT NULL,
    ticker character varying(16) NOT NULL,
    "interval" text NOT NULL,
    date date NOT NULL,
    period date GENERATED ALWAYS AS (
CASE
    WHEN ("interval" = '1w'::text) THEN (date - ((EXTRACT(isodow FROM date))::integer - 1))
    ELSE (date - ((EXTRACT(day FROM date))::integer - 1))
END) STORED NOT NULL,
    open numeric(15,6) NOT NULL,
    high numeric(15,6) NOT NULL,
    low numeric(15,6) NOT NULL,
    close numeric(15,6) NOT NULL,
    volume bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_period_bars_close_in_range CHECK (((low <= close) AND (close <= high))),
    CONSTRAINT ck_period_bars_open_in_range CHECK (((low <= open) AND (open <= high))),
    CONSTRAINT ck_period_bars_prices_positive CHECK (((open > (0)::numeric) AND (high > (0)::numeric) AND (low > (0)::numeric) AND (close > (0)::numeric))),
    CONSTRAINT ck_period_bars_ticker CHECK (((ticker)::text ~ '^[A-Z0-9][A-Z0-9.-]{0,15}$'::text)),
    CONSTRAINT ck_period_bars_volume CHECK (((volume >= 0) AND (volume <= '9007199254740991'::bigint))),
    CONSTRAINT period_bars_interval_check CHECK (("interval" = ANY (ARRAY['1w'::text, '1mo'::text])))
);

ALTER TABLE public.period_bars ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.period_bars_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.source_entitlements (
    source text NOT NULL,
    account text NOT NULL,
    entitlement text NOT NULL,
    status text NOT NULL,
    reason text,
    checked_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT source_entitlements_status_check CHECK ((status = ANY (ARRAY['allowed'::text, 'refused'::text])))
);

CREATE TABLE public.source_usage (
    source text NOT NULL,
    day date NOT NULL,
    requests integer NOT NULL,
    CONSTRAINT source_usage_requests_check CHECK ((requests >= 0))
);

CREATE TABLE public.splits (
    ticker character varying(16) NOT NULL,
    ex_date date NOT NULL,
    factor numeric(15,6) NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT splits_factor_check CHECK ((factor > (0)::numeric)),
    CONSTRAINT splits_ticker_check CHECK (((ticker)::text ~ '^[A-Z0-9][A-Z0-9.-]{0,15}$'::text))
);

CREATE TABLE public.ticker_datasets (
    source text NOT NULL,
    ticker character varying(16) NOT NULL,
    dataset text NOT NULL,
    fetched_at timestamp with time zone NOT NULL,
    CONSTRAINT ticker_datasets_dataset_check CHECK ((dataset = ANY (ARRAY['daily'::text, 'weekly'::text, 'monthly'::text, 'splits'::text, 'dividends'::text])))
);

ALTER TABLE ONLY public.adjustment_factors
    ADD CONSTRAINT adjustment_factors_pkey PRIMARY KEY (ticker, to_date);

ALTER TABLE ONLY public.derived_bars
    ADD CONSTRAINT derived_bars_pkey PRIMARY KEY (ticker, "interval", period);

ALTER TABLE ONLY public.dividends
    ADD CONSTRAINT dividends_pkey PRIMARY KEY (ticker, ex_date);

ALTER TABLE ONLY public.etl_run_tickers
    ADD CONSTRAINT etl_run_tickers_pkey PRIMARY KEY (run_id, "position");

ALTER TABLE ONLY public.etl_runs
    ADD CONSTRAINT etl_runs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.etl_schedule
    ADD CONSTRAINT etl_schedule_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.exchange_sessions
    ADD CONSTRAINT exchange_sessions_n_key UNIQUE (n);

ALTER TABLE ONLY public.exchange_sessions
    ADD CONSTRAINT exchange_sessions_pkey PRIMARY KEY (date);

ALTER TABLE ONLY public.market_data_day_counts
    ADD CONSTRAINT market_data_day_counts_pkey PRIMARY KEY (date);

ALTER TABLE ONLY public.market_data
    ADD CONSTRAINT market_data_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.market_data_ticker_stats
    ADD CONSTRAINT market_data_ticker_stats_pkey PRIMARY KEY (ticker);

ALTER TABLE ONLY public.market_data_total
    ADD CONSTRAINT market_data_total_pkey PRIMARY KEY (only_row);

ALTER TABLE ONLY public.period_bars
    ADD CONSTRAINT period_bars_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY public.source_entitlements
    ADD CONSTRAINT source_entitlements_pkey PRIMARY KEY (source, account, entitlement);

ALTER TABLE ONLY public.source_usage
    ADD CONSTRAINT source_usage_pkey PRIMARY KEY (source, day);

ALTER TABLE ONLY public.splits
    ADD CONSTRAINT splits_pkey PRIMARY KEY (ticker, ex_date);

ALTER TABLE ONLY public.ticker_datasets
    ADD CONSTRAINT ticker_datasets_pkey PRIMARY KEY (source, ticker, dataset);

ALTER TABLE ONLY public.market_data
    ADD CONSTRAINT uq_market_data_ticker_date UNIQUE (ticker, date);

ALTER TABLE ONLY public.period_bars
    ADD CONSTRAINT uq_period_bars UNIQUE (ticker, "interval", period);

CREATE INDEX ix_derived_bars_listing ON public.derived_bars USING btree ("interval", date DESC, ticker);

CREATE INDEX ix_derived_bars_pending_ticker ON public.derived_bars_pending USING btree (ticker);

CREATE INDEX ix_derived_bars_ticker ON public.derived_bars USING btree (ticker, "interval", date);

CREATE INDEX ix_etl_run_tickers_fetched ON public.etl_run_tickers USING btree (ticker, fetched_at DESC) WHERE (fetched_at IS NOT NULL);

CREATE INDEX ix_market_data_date_ticker ON public.market_data USING btree (date DESC, ticker);

CREATE INDEX ix_period_bars_listing ON public.period_bars USING btree ("interval", date DESC, ticker);

CREATE INDEX ix_period_bars_ticker ON public.period_bars USING btree (ticker, "interval", date);

CREATE TRIGGER dividends_adjustment_deleted AFTER DELETE ON public.dividends REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_actions_changed();

CREATE TRIGGER dividends_adjustment_inserted AFTER INSERT ON public.dividends REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_actions_changed();

CREATE TRIGGER dividends_adjustment_truncated AFTER TRUNCATE ON public.dividends FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_truncated();

CREATE TRIGGER dividends_adjustment_updated AFTER UPDATE ON public.dividends REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_actions_changed();

CREATE TRIGGER market_data_adjustment_deleted AFTER DELETE ON public.market_data REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_bars_changed();

CREATE TRIGGER market_data_adjustment_inserted AFTER INSERT ON public.market_data REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_bars_changed();

CREATE TRIGGER market_data_adjustment_truncated AFTER TRUNCATE ON public.market_data FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_truncated();

CREATE TRIGGER market_data_adjustment_updated AFTER UPDATE ON public.market_data REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_bars_changed();

CREATE TRIGGER market_data_count_delete AFTER DELETE ON public.market_data REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION public.market_data_count_deleted();

CREATE TRIGGER market_data_count_insert AFTER INSERT ON public.market_data REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.market_data_count_inserted();

CREATE TRIGGER market_data_count_truncate AFTER TRUNCATE ON public.market_data FOR EACH STATEMENT EXECUTE FUNCTION public.market_data_count_truncated();

CREATE TRIGGER market_data_count_update AFTER UPDATE ON public.market_data REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update FOR EACH STATEMENT EXECUTE FUNCTION public.market_data_count_updated();

CREATE TRIGGER market_data_derived_deleted AFTER DELETE ON public.market_data REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.derived_bars_changed();

CREATE TRIGGER market_data_derived_inserted AFTER INSERT ON public.market_data REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.derived_bars_changed();

CREATE TRIGGER market_data_derived_truncated AFTER TRUNCATE ON public.market_data FOR EACH STATEMENT EXECUTE FUNCTION public.derived_bars_truncated();

CREATE TRIGGER market_data_derived_updated AFTER UPDATE ON public.market_data REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.derived_bars_changed();

CREATE TRIGGER market_data_ticker_stats_delete AFTER DELETE ON public.market_data REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION public.market_data_ticker_stats_deleted();

CREATE TRIGGER market_data_ticker_stats_insert AFTER INSERT ON public.market_data REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.market_data_ticker_stats_inserted();

CREATE TRIGGER market_data_ticker_stats_truncate AFTER TRUNCATE ON public.market_data FOR EACH STATEMENT EXECUTE FUNCTION public.market_data_ticker_stats_truncated();

CREATE TRIGGER market_data_ticker_stats_update AFTER UPDATE ON public.market_data REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update FOR EACH STATEMENT EXECUTE FUNCTION public.market_data_ticker_stats_updated();

CREATE TRIGGER period_bars_derived_deleted AFTER DELETE ON public.period_bars REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.derived_bars_stored_changed();

CREATE TRIGGER period_bars_derived_inserted AFTER INSERT ON public.period_bars REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.derived_bars_stored_changed();

CREATE TRIGGER period_bars_derived_updated AFTER UPDATE ON public.period_bars REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.derived_bars_stored_changed();

CREATE TRIGGER splits_adjustment_deleted AFTER DELETE ON public.splits REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_actions_changed();

CREATE TRIGGER splits_adjustment_inserted AFTER INSERT ON public.splits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_actions_changed();

CREATE TRIGGER splits_adjustment_truncated AFTER TRUNCATE ON public.splits FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_truncated();

CREATE TRIGGER splits_adjustment_updated AFTER UPDATE ON public.splits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.adjustment_factors_actions_changed();

ALTER TABLE ONLY public.etl_run_tickers
    ADD CONSTRAINT etl_run_tickers_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.etl_runs(id) ON DELETE CASCADE;
