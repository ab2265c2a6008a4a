// `npm start`: the API on HOST:PORT, over the embedded database or DATABASE_URL's server, and the
// ETL scheduler when ETL_ENABLED. With WORKERS > 1, a primary process forks that many.
import cluster from 'node:cluster';
import { runPrimary, workerRole } from './cluster.ts';
import { ConfigError, servingProblems } from './config.ts';
import { shareMetricsWithPrimary } from './metrics.ts';
import { serve } from './server.ts';
import { configOrExit, loggerFromConfig } from './startup.ts';

const config = configOrExit();
const refusals = servingProblems(config);
if (refusals.length) {
  process.stderr.write(`${new ConfigError(refusals).message}\n`);
  process.exit(2);
}
const logger = loggerFromConfig(config);

if (config.workers > 1 && cluster.isPrimary) {
  runPrimary(config, logger);
} else if (cluster.isWorker) {
  shareMetricsWithPrimary();
  await serve(config, logger, { schedule: workerRole().schedule, announce: false });
} else {
  await serve(config, logger, { schedule: true, announce: true });
}
