-- Loads of a new ticker that commit in steps (the embedded database, where one transaction holds
-- the database for everyone: src/db/profile.ts). Each step adds its transaction id here in the
-- statement that writes its bars, so a load that fails, or a process killed mid-load, is undone by
-- deleting exactly the rows those transactions inserted (src/db/load-journal.ts) — never a row an
-- API client wrote meanwhile. A row here is a load in progress or one to undo.
CREATE TABLE load_journal (
    ticker      varchar(16) PRIMARY KEY,
    xids        bigint[]    NOT NULL DEFAULT '{}',
    started_at  timestamptz NOT NULL DEFAULT now()
);
