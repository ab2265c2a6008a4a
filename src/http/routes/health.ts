// Health for load balancers and orchestrators, each answer 200 or 503:
//   /api/v1/health        the database answers within 2 s (asked on every call; concurrent calls
//                         share one question, never an earlier answer); with DATABASE_READ_URLS,
//                         each replica's state and lag as last checked (db/driver/replicas.ts), which
//                         never makes the answer 503: reads fall back to the primary
//   /api/v1/health/live   the process is up and its event loop turns (nothing else is asked)
//   /api/v1/health/ready  the database answers, every migration is applied, and the service is not
//                         draining: 503 from the moment it starts stopping (SIGTERM)
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from 'typebox';
import type { Database } from '../../db/index.ts';
import { appliedVersion, readMigrations } from '../../db/driver/migrate.ts';
import { isDraining } from '../plugins/drain.ts';
import { StringEnum } from '../schemas.ts';

export const HEALTH_TIMEOUT_MS = 2000;

const State = StringEnum(['healthy', 'unhealthy'] as const);
const Replica = Type.Object({
  name: Type.String({ description: '`replica-N`: the Nth of DATABASE_READ_URLS' }),
  state: StringEnum(['starting', 'up', 'lagging', 'down', 'not_standby'] as const, { description: '`up`: in rotation; the others serve no reads' }),
  lag_ms: Type.Union([Type.Integer(), Type.Null()], { description: 'Age of the oldest primary WAL position not replayed yet (0: caught up)' }),
  lag_bytes: Type.Union([Type.Integer(), Type.Null()]),
  replay_paused: Type.Union([Type.Boolean(), Type.Null()]),
  checked_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why it is out of rotation' }),
});
const Health = Type.Object({
  status: State, database: State,
  replicas: Type.Optional(Type.Array(Replica, { description: 'With DATABASE_READ_URLS: the read replicas as last checked' })),
  version: Type.String(), timestamp: Type.String({ format: 'date-time' }),
});
/** A health route's schema: the same body answers 200, or 503 for the reason given. */
const healthSchema = <T extends TSchema>(summary: string, description: string, body: T, unavailable: string) => ({
  summary, tags: ['health'], description, response: { 200: body, 503: { ...body, description: unavailable } },
});

const Live = Type.Object({ status: StringEnum(['alive'] as const), version: Type.String(), timestamp: Type.String({ format: 'date-time' }) });
const Ready = Type.Object({
  status: StringEnum(['ready', 'not_ready'] as const),
  database: State,
  migrations: StringEnum(['applied', 'pending', 'unknown'] as const, { description: '`unknown` while the database does not answer' }),
  draining: Type.Boolean({ description: 'The service is stopping: it finishes open requests and takes no new ones' }),
  version: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
});

const plugin: FastifyPluginAsync<{ db: Database; version: string }> = async (fastify, { db, version }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  // Requests that arrive while a ping is out wait for it rather than sending their own: probes many
  // times a second cost one trivial query at a time per process, and every answer is a fresh one.
  let inFlight: Promise<boolean> | undefined;
  const databaseAnswers = (): Promise<boolean> => {
    inFlight ??= db.ping(HEALTH_TIMEOUT_MS)
      .then(() => true, (err: unknown) => {
        fastify.log.warn({ err }, 'health check: database did not answer');
        return false;
      })
      .finally(() => { inFlight = undefined; });
    return inFlight;
  };

  // Applied migrations stay applied: once every one this code knows is recorded, no need to look again.
  const latest = Math.max(0, ...readMigrations().map((m) => m.version));
  let migrated = false;
  const migrationsApplied = async (): Promise<boolean> => {
    if (!migrated) {
      migrated = await appliedVersion(db) >= latest;
    }
    return migrated;
  };

  const now = () => new Date().toISOString();

  app.get('/health', {
    schema: healthSchema('Service and database health', 'Asks the database on every call (concurrent calls share one question).',
      Health, 'The database did not answer within 2 s'),
  }, async (_request, reply) => {
    const state = (await databaseAnswers()) ? 'healthy' : 'unhealthy';
    const replicas = db.replicaStatuses?.().map((r) => ({
      name: r.name, state: r.state, lag_ms: r.lagMs, lag_bytes: r.lagBytes, replay_paused: r.paused, checked_at: r.checkedAt, error: r.error,
    }));
    return reply.code(state === 'healthy' ? 200 : 503).send({ status: state, database: state, replicas, version, timestamp: now() });
  });

  app.get('/health/live', {
    schema: {
      summary: 'Liveness: the process is up', tags: ['health'],
      description: 'Asks nothing of the database: a database outage is no reason to restart the service.',
      response: { 200: Live },
    },
  }, async () => ({ status: 'alive' as const, version, timestamp: now() }));

  app.get('/health/ready', {
    schema: healthSchema('Readiness: send traffic here', 'The database answers within 2 s, every migration is applied, and the service is not stopping.',
      Ready, 'Not ready: the database, pending migrations, or draining'),
  }, async (request, reply) => {
    const database = await databaseAnswers();
    let migrations: 'applied' | 'pending' | 'unknown' = 'unknown';
    if (database) {
      try {
        migrations = (await migrationsApplied()) ? 'applied' : 'pending';
      } catch (err) {
        request.log.warn({ err }, 'readiness: cannot read schema_migrations');
      }
    }
    const draining = isDraining(fastify.server);
    const ready = database && migrations === 'applied' && !draining;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready', database: database ? 'healthy' : 'unhealthy', migrations, draining, version, timestamp: now(),
    });
  });
};

export default plugin;
