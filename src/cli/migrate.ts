// `npm run migrate`: apply pending migrations to the configured database and exit.
import { configOrExit, describeDatabase, fatal, loggerFromConfig, openMigratedDatabase } from '../startup.ts';

const config = configOrExit();
const logger = loggerFromConfig(config);
try {
  const db = await openMigratedDatabase(config, logger);
  await db.close();
  logger.info({ database: describeDatabase(config) }, 'database is up to date');
  logger.flush();
} catch (err) {
  fatal(logger, err, `migration of ${describeDatabase(config)} failed`);
}
