// Closing without reset connections. Node's server.close() destroys idle keep-alive connections at
// once, and a client that is just sending its next request on one sees ECONNRESET: a request lost
// without an answer. So a stopping service first stops accepting connections (stopAccepting), then
// on close answers whatever still arrives on the open ones normally but with `Connection: close`
// (Fastify adds it once closing; return503OnClosing is off, the database is still open then), and
// gives clients up to DRAIN_MS to finish that way before the connections left idle are closed.
import net from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';

const DRAIN_MS = 1500;


const draining = new WeakSet<object>();

/** Whether the service on `server` has started stopping (readiness answers 503 from then on). */
export const isDraining = (server: object): boolean => draining.has(server);

/** New connections are refused from now on; the open ones are still served as usual. */
export async function stopAccepting(app: FastifyInstance): Promise<void> {
  const server = app.server;
  draining.add(server);
  if (!server.listening) return;
  // Closing the listening socket resets connections still waiting in the kernel's accept queue
  // (a busy event loop lets them pile up): one pass of the loop's poll phase accepts them first.
  await nextTurn();
  // net's close, not http's: it stops listening without destroying the idle connections.
  if (server.listening) net.Server.prototype.close.call(server);
}

export function registerDrainOnClose(app: FastifyInstance): void {
  app.addHook('preClose', async () => {
    await stopAccepting(app); // when the caller did not do it first
    const server = app.server;
    const open = () => new Promise<number>((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)));
    for (const deadline = Date.now() + DRAIN_MS; Date.now() < deadline && (await open()) > 0;) await sleep(20);
  });
}
