// Read-your-writes on streaming replicas (only registered when DATABASE_READ_URLS is set).
// A successful write answers with `X-Write-LSN`, the primary's WAL position after it; a read
// that sends that header back is served by a server that has replayed it (db/driver/replicas.ts: a
// replica that has, or waits up to REPLICA_WAIT_MS for one, else the primary). For
// READ_YOUR_WRITES_WINDOW_MS after a write, the same client's reads are held to it even without
// the header. A client is its address as TRUST_PROXY resolves it (request.ip), and the window
// lives in one process: with WORKERS > 1, or several instances, send the header.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../../db/index.ts';
import { isLsn, maxLsn } from '../../db/driver/lsn.ts';
import { readContext } from '../../db/driver/read-context.ts';
import { invalid } from './errors.ts';

const WRITE_LSN_HEADER = 'x-write-lsn';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Clients remembered at most; the oldest writes are forgotten first. */
const MAX_CLIENTS = 10_000;

export function registerReadYourWrites(app: FastifyInstance, db: Database, windowMs: number): void {
  const writeLsn = db.writeLsn?.bind(db);
  if (!writeLsn) return;
  // Client → its last write; in order of writing (a write moves its client to the end).
  const recent = new Map<string, { lsn: string; at: number }>();
  const clientOf = (request: FastifyRequest) => request.ip;

  const remember = (client: string, lsn: string) => {
    const now = Date.now();
    recent.delete(client);
    recent.set(client, { lsn, at: now });
    for (const [key, last] of recent) {
      if (recent.size <= MAX_CLIENTS && now - last.at <= windowMs) break;
      recent.delete(key);
    }
  };

  app.addHook('onRequest', (request, _reply, done) => {
    if (WRITES.has(request.method)) return done();
    const given = request.headers[WRITE_LSN_HEADER];
    let minLsn: string | undefined;
    if (given !== undefined) {
      if (typeof given !== 'string' || !isLsn(given)) {
        return done(invalid([{ field: 'X-Write-LSN', message: 'must be a WAL position as a write returned it (like 0/16B3748)' }]));
      }
      minLsn = given.trim();
    }
    if (windowMs > 0) {
      const last = recent.get(clientOf(request));
      if (last && Date.now() - last.at <= windowMs) minLsn = maxLsn(minLsn, last.lsn);
    }
    // The rest of the request runs in this context, which the replica router reads. A read with
    // nothing to wait for runs without one: entering a context turns on Node's async hooks.
    if (minLsn === undefined) return done();
    readContext.run({ minLsn }, done);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (!WRITES.has(request.method) || reply.statusCode >= 400) return payload;
    try {
      const lsn = await writeLsn();
      reply.header(WRITE_LSN_HEADER, lsn);
      if (windowMs > 0) remember(clientOf(request), lsn);
    } catch (err) {
      // The write is done; without its position the client's reads may simply be stale.
      request.log.warn({ err }, 'cannot read the write position from the primary');
    }
    return payload;
  });
}
