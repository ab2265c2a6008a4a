// /api/v1/health: 200 when the database answers within 2 s, else 503 — a load balancer can act on it.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/index.ts';
import { StringEnum } from './schemas.ts';

export const HEALTH_TIMEOUT_MS = 2000;
/**
 * A healthy answer is reused for this long, and concurrent checks share one ping: load balancers
 * and monitors probing many times a second then cost the database two trivial queries a second
 * per process, and a failure still shows within 2.5 s. An unhealthy answer is never reused.
 */
export const HEALTHY_FOR_MS = 500;

const Health = Type.Object({
  status: StringEnum(['healthy', 'unhealthy'] as const),
  database: StringEnum(['healthy', 'unhealthy'] as const),
  version: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
});

const plugin: FastifyPluginAsync<{ db: Database; version: string }> = async (fastify, { db, version }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  let inFlight: Promise<void> | undefined;
  let healthyUntil = 0;
  const check = (): Promise<void> => {
    if (Date.now() < healthyUntil) return Promise.resolve();
    inFlight ??= db.ping(HEALTH_TIMEOUT_MS)
      .then(() => { healthyUntil = Date.now() + HEALTHY_FOR_MS; })
      .finally(() => { inFlight = undefined; });
    return inFlight;
  };

  app.get('/health', {
    schema: {
      summary: 'Service and database health', tags: ['health'],
      response: { 200: Health, 503: { ...Health, description: 'The database did not answer within 2 s' } },
    },
  }, async (request, reply) => {
    let healthy = true;
    try {
      await check();
    } catch (err) {
      healthy = false;
      request.log.warn({ err }, 'health check: database did not answer');
    }
    const state = healthy ? 'healthy' : 'unhealthy';
    return reply.code(healthy ? 200 : 503).send({ status: state, database: state, version, timestamp: new Date().toISOString() });
  });
};

export default plugin;
