// How busy the API is, for the ETL on the embedded database to give way to (EtlDeps.foreground):
// there the ETL and the API share one thread and one connection.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isLongRequest } from './security.ts';

/**
 * A request that started or ended this recently still makes the API busy. Right after a batch of
 * requests is answered none is open, and timers run before the next requests are read from the
 * sockets: if only open requests counted, the ETL would take the database back in that instant.
 */
export const QUIET_MS = 50;

export class Traffic {
  /** Requests being answered, the ETL trigger excepted (the run would give way to its own request). */
  open = 0;
  /** When a counted request last started or ended (ms since the epoch). */
  lastActive = 0;

  busy(now = Date.now()): boolean {
    return this.open > 0 || now - this.lastActive < QUIET_MS;
  }

  /** Keeps `open` and `lastActive` up to date with the app's requests. */
  register(app: FastifyInstance): void {
    const counted = new WeakSet<FastifyRequest>();
    const end = (request: FastifyRequest) => {
      if (!counted.delete(request)) return;
      this.open--;
      this.lastActive = Date.now();
    };
    app.addHook('onRequest', (request, _reply, done) => {
      if (!isLongRequest(request)) {
        counted.add(request);
        this.open++;
        this.lastActive = Date.now();
      }
      done();
    });
    app.addHook('onResponse', (request, _reply, done) => { end(request); done(); });
    app.addHook('onRequestAbort', (request, done) => { end(request); done(); });
  }
}
