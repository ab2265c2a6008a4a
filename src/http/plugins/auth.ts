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

/** Wrong or missing keys a client may send per minute; past it, its writes get 429 unchecked. */
export const KEY_FAILURES_PER_MINUTE = 10;

export function registerApiKeyAuth(app: FastifyInstance, apiKey: string | undefined): void {
  // Document the requirement on every write route in the OpenAPI description.
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (!apiKey || !methods.some((m) => WRITE_METHODS.has(m))) return;
    route.schema = { ...route.schema, security: [{ apiKey: [] }, { bearer: [] }] } as typeof route.schema;
  });
  if (!apiKey) return;
  // Guessing is limited whatever RATE_LIMIT_PER_MINUTE says: a client's failures are counted per
  // minute, and once it has used them up its keys are not even compared until the minute is over.
  const failures = app.createRateLimit({ max: KEY_FAILURES_PER_MINUTE, timeWindow: 60_000, allowList: () => false });
  // Comparing fixed-length digests keeps the comparison constant-time whatever the length sent.
  const expected = digest(apiKey);
  app.addHook('onRequest', async (request) => {
    if (!WRITE_METHODS.has(request.method)) return;
    const seen = await failures(request, { increment: false });
    if (!seen.isAllowed && seen.remaining === 0) {
      request.log.warn({ ip: request.ip }, 'api key check refused: too many failed keys from this client');
      throw new ProblemError(429, `too many wrong API keys from this client; retry in ${seen.ttlInSeconds} s`, undefined,
        { 'retry-after': String(seen.ttlInSeconds) });
    }
    const key = presentedKey(request);
    if (key === undefined || !crypto.timingSafeEqual(digest(key), expected)) {
      await failures(request);
      request.log.warn({ ip: request.ip, reason: key === undefined ? 'no key' : 'wrong key' }, 'api key check failed');
      throw new ProblemError(401, key === undefined
        ? 'this operation needs an API key: send X-API-Key: <key> or Authorization: Bearer <key>'
        : 'the API key is not valid', undefined, { 'www-authenticate': 'Bearer realm="market-data"' });
    }
  });
}
