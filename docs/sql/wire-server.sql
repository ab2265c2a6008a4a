-- The SQL of src/db/wire-server.ts, in source order.
-- Written by `npm run sql:record` (scripts/record-sql.ts); checked by `npm run sql:check`. Do not edit.

-- WireServer.init
SHOW ${name};

-- WireServer.run
RESET ALL; ${sessionSettings};

-- WireServer.cleanUp
ROLLBACK;
