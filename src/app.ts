// The HTTP application: plugins, hooks and routes, without listening. Tests drive it through
// `inject`; main.ts gives it a port.
import crypto from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from './config.ts';
import { readsOf, type Database } from './db/index.ts';
import type { Logger } from './logger.ts';
import { VERSION } from './version.ts';
import { registerApiKeyAuth } from './http/plugins/auth.ts';
import { registerDocs } from './http/plugins/docs.ts';
import { registerErrorHandlers } from './http/plugins/errors.ts';
import { registerJsonBodyParser } from './http/plugins/json-body.ts';
import { registerSecurity, serverOptions } from './http/plugins/security.ts';
import { registerDrainOnClose } from './http/plugins/drain.ts';
import { registerReadYourWrites } from './http/plugins/read-your-writes.ts';
import { registerMetrics } from './metrics.ts';
import { validatorCompiler } from './http/plugins/validation.ts';
import { MarketDataRecord } from './http/schemas.ts';
import healthRoutes from './http/routes/health.ts';
import marketDataRoutes from './http/routes/market-data.ts';
import tickerRoutes from './http/routes/tickers.ts';
import etlRoutes, { RunDetailSchema } from './http/routes/etl.ts';
import exportRoutes from './http/routes/export.ts';
import tickerSummaryRoutes from './http/routes/ticker-summaries.ts';
import qualityRoutes, { qualityTotals } from './http/routes/quality.ts';
import dashboard from './http/routes/dashboard.ts';
import type { Etl } from './etl/index.ts';

export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  /** The ETL the trigger and status routes run; its owner (server.ts, a test) builds and closes it. */
  etl: Etl;
  /** The built dashboard (default web/dist). */
  webDir?: string;
}

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** One log line per request, when it completes (Fastify's default writes two). */
class RequestLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'request_id' });
  }
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    // The client's address as TRUST_PROXY resolves it: X-Forwarded-For only from trusted proxies.
    const line = { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ip: request.ip };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

export async function buildApp({ config, db, logger, etl, webDir }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    logController: new RequestLog(),
    // Keep a caller's X-Request-Id when it is a plain token, so logs line up across services.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    ...serverOptions(config),
  }) as unknown as FastifyInstance; // plugins are typed against Fastify's base logger interface
  app.setValidatorCompiler(validatorCompiler);
  registerJsonBodyParser(app);
  registerErrorHandlers(app);
  await registerSecurity(app, config);
  registerDrainOnClose(app);
  registerApiKeyAuth(app, config.apiKey);
  registerReadYourWrites(app, db, config.replicas.readYourWritesWindowMs);
  // Shared schemas live on the root: a plugin adding its own would get Fastify's default validator.
  app.addSchema(MarketDataRecord);
  app.addSchema(RunDetailSchema);

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  registerMetrics(app, {
    budget: () => etl.limiter.remainingToday(), pool: db.poolStats?.bind(db), quality: () => qualityTotals(db, config),
    replicas: db.replicaStatuses && { statuses: db.replicaStatuses.bind(db), primaryReads: db.primaryReads!.bind(db) },
  });
  await registerDocs(app, VERSION);
  await app.register(healthRoutes, { prefix: '/api/v1', db, version: VERSION });
  await app.register(marketDataRoutes, { prefix: '/api/v1', db, config });
  // Routes that only read take the read view: replicas when DATABASE_READ_URLS is set.
  const reads = readsOf(db);
  await app.register(tickerRoutes, { prefix: '/api/v1', db: reads });
  await app.register(etlRoutes, { prefix: '/api/v1', db, config, etl });
  await app.register(exportRoutes, { prefix: '/api/v1', db: reads, idleTimeoutMs: config.http.requestTimeoutMs });
  await app.register(tickerSummaryRoutes, { prefix: '/api/v1', db: reads });
  // The quality report fills the sessions table on first use: a write, so it stays on the primary.
  await app.register(qualityRoutes, { prefix: '/api/v1', db, config });
  await app.register(dashboard, { dir: webDir });
  return app;
}
