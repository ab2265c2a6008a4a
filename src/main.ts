// `npm start`: the API on HOST:PORT, over the embedded database or DATABASE_URL's server, and
// the ETL scheduler when ETL_ENABLED.
import os from 'node:os';
import { buildApp } from './app.ts';
import { createEtl } from './etl/index.ts';
import { Scheduler } from './etl/scheduler.ts';
import { configOrExit, describeDatabase, fatal, loggerFromConfig, openMigratedDatabase } from './startup.ts';

const config = configOrExit();
const logger = loggerFromConfig(config);

let db;
try {
  db = await openMigratedDatabase(config, logger);
} catch (err) {
  fatal(logger, err, `cannot open ${describeDatabase(config)}`);
}

if (!config.apiKey) {
  logger.warn('API_KEY is not set: writes (POST, PUT, PATCH, DELETE) are open to anyone who can reach this port');
}

const etl = createEtl(config, db, logger);
const app = await buildApp({ config, db, logger, etl });
try {
  await app.listen({ host: config.host, port: config.port });
} catch (err) {
  await db.close();
  fatal(logger, err, `cannot listen on ${config.host}:${config.port}`);
}
logger.info({ database: describeDatabase(config), docs: `http://${config.host}:${config.port}/docs` }, 'market data service started');

const scheduler = config.etl.enabled
  ? new Scheduler({ db, runner: etl.runner, logger, intervalMinutes: config.etl.intervalMinutes, tickers: config.etl.defaultTickers, instanceId: `${os.hostname()}:${process.pid}` })
  : undefined;
scheduler?.start();

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
    await scheduler?.stop();
    await etl.runner.stop(); // abandons the current ticker cleanly, whoever started the run
    await app.close(); // stops accepting, lets in-flight requests finish
    await db!.close();
    clearTimeout(force);
    logger.info('stopped');
    logger.flush();
    process.exitCode = 0;
  } catch (err) {
    fatal(logger, err, 'shutdown failed');
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
