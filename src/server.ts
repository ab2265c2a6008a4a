// One service process: the API on HOST:PORT over the database, and (when this process is the one
// that schedules) the ETL scheduler. Stops cleanly on SIGTERM/SIGINT within 10 s.
import cluster from 'node:cluster';
import os from 'node:os';
import { buildApp } from './app.ts';
import { stopAccepting } from './http/plugins/drain.ts';
import { openWritesWarning, type Config } from './config.ts';
import { Maintenance } from './db/repositories/maintenance.ts';
import { createEtl } from './etl/index.ts';
import { Scheduler } from './etl/scheduler.ts';
import type { Logger } from './logger.ts';
import { describeDatabase, fatal, openMigratedDatabase } from './startup.ts';

interface ServeOptions {
  /** Run the ETL scheduler here (when ETL_ENABLED); one process of a cluster does. */
  schedule: boolean;
  /** Say once per service, not once per worker, what a deployment should know. */
  announce: boolean;
}

export async function serve(config: Config, logger: Logger, options: ServeOptions): Promise<void> {
  let db;
  try {
    db = await openMigratedDatabase(config, logger, { sqlPort: true, replicas: true });
  } catch (err) {
    fatal(logger, err, `cannot open ${describeDatabase(config)}`);
  }

  const warning = openWritesWarning(config);
  if (warning && options.announce) logger.warn(warning);

  const etl = createEtl(config, db, logger);
  const app = await buildApp({ config, db, logger, etl });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await db.close();
    fatal(logger, err, `cannot listen on ${config.host}:${config.port}`);
  }
  if (options.announce) {
    logger.info({ database: describeDatabase(config), docs: `http://${config.host}:${config.port}/docs` }, 'market data service started');
    if (!config.databaseUrl && config.embeddedSqlPort !== undefined) {
      logger.warn({ sql: `postgresql://postgres@127.0.0.1:${config.embeddedSqlPort}/postgres` },
        'EMBEDDED_SQL_PORT: any local process may connect to the embedded database without a password (docs/embedded-database.md)');
    }
  }

  const scheduler = config.etl.enabled && options.schedule
    ? new Scheduler({ db, runner: etl.runner, logger, intervalMinutes: config.etl.intervalMinutes, tickers: config.etl.defaultTickers, instanceId: `${os.hostname()}:${process.pid}` })
    : undefined;
  scheduler?.start();
  const maintenance = new Maintenance(db, logger);
  maintenance.start();

  let stopping = false;
  async function shutdown(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000).unref();
    try {
      await stopAccepting(app); // refuse new connections at once; open ones are served until close
      await scheduler?.stop();
      await etl.runner.stop(); // abandons the current ticker cleanly, whoever started the run
      await etl.close();
      await app.close(); // stops accepting, lets in-flight requests finish
      await maintenance.stop();
      await db!.close();
      clearTimeout(force);
      logger.info('stopped');
      logger.flush();
      process.exitCode = 0;
      if (cluster.isWorker) process.disconnect(); // the channel to the primary would keep us alive
    } catch (err) {
      fatal(logger, err, 'shutdown failed');
    }
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
