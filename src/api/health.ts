// /api/v1/health: 200 when the database answers within 2 s, else 503 — a load balancer can act on it.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/index.ts';
import { StringEnum } from './schemas.ts';

export const HEALTH_TIMEOUT_MS = 2000;

const Health = Type.Object({
  status: StringEnum(['healthy', 'unhealthy'] as const),
  database: StringEnum(['healthy', 'unhealthy'] as const),
  version: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
});

const plugin: FastifyPluginAsync<{ db: Database; version: string }> = async (fastify, { db, version }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/health', {
    schema: {
      summary: 'Service and database health', tags: ['health'],
      response: { 200: Health, 503: { ...Health, description: 'The database did not answer within 2 s' } },
    },
  }, async (request, reply) => {
    let healthy = true;
    try {
      await db.ping(HEALTH_TIMEOUT_MS);
    } catch (err) {
      healthy = false;
      request.log.warn({ err }, 'health check: database did not answer');
    }
    const state = healthy ? 'healthy' : 'unhealthy';
    return reply.code(healthy ? 200 : 503).send({ status: state, database: state, version, timestamp: new Date().toISOString() });
  });
};

export default plugin;
