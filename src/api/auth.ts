// Writes need the API key when one is configured; reads stay open. The check is a hook on every
// request by method, so a write route added later is protected without remembering to ask.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError } from './errors.ts';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const digest = (value: string): Buffer => crypto.createHash('sha256').update(value).digest();

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = request.headers.authorization;
  const bearer = auth && /^Bearer\s+(.+)$/i.exec(auth);
  return bearer ? bearer[1]!.trim() : undefined;
}

export function registerApiKeyAuth(app: FastifyInstance, apiKey: string | undefined): void {
  // Document the requirement on every write route in the OpenAPI description.
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (!apiKey || !methods.some((m) => WRITE_METHODS.has(m))) return;
    route.schema = { ...route.schema, security: [{ apiKey: [] }, { bearer: [] }] } as typeof route.schema;
  });
  if (!apiKey) return;
  // Comparing fixed-length digests keeps the comparison constant-time whatever the length sent.
  const expected = digest(apiKey);
  app.addHook('onRequest', async (request) => {
    if (!WRITE_METHODS.has(request.method)) return;
    const key = presentedKey(request);
    if (key === undefined || !crypto.timingSafeEqual(digest(key), expected)) {
      throw new ProblemError(401, key === undefined
        ? 'this operation needs an API key: send X-API-Key: <key> or Authorization: Bearer <key>'
        : 'the API key is not valid', undefined, { 'www-authenticate': 'Bearer realm="market-data"' });
    }
  });
}
