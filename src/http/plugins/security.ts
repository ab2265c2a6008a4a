// What stands between the API and a hostile network: timeouts, security headers, CORS, the
// checks that keep other sites' pages out (Host, Origin), and a per-client rate limit. Each is
// configured in config.ts and documented in docs/security.md.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import cors from '@fastify/cors';
import helmet from 'helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { bareHost, type Config } from '../../config.ts';
import { PROBLEM_TYPE, problem, ProblemError } from './errors.ts';

/** Routes that may legitimately run for minutes: a synchronous ETL run waits on Alpha Vantage's limits. */
const LONG_ROUTES = new Set(['POST /api/v1/etl/run']);

/** A request that waits on background work rather than being it: exempt from the request timeout. */
const isLongRequest = (request: FastifyRequest): boolean => LONG_ROUTES.has(`${request.method} ${request.routeOptions.url}`);

/**
 * Fastify factory options. `requestTimeout` bounds receiving a request, headers and body (slow-loris
 * clients: 408); answering it is bounded by the watchdog below (503). Both come from REQUEST_TIMEOUT_MS.
 */
export function serverOptions(config: Config): Partial<FastifyServerOptions> {
  const timeout = config.http.requestTimeoutMs;
  return {
    requestTimeout: timeout,
    // Node 20 reads requestTimeout when the server is constructed (Fastify sets it afterwards,
    // which has no effect), and checks it on an interval (default 30 s) that would make a short
    // timeout fire up to 30 s late.
    http: timeout ? { requestTimeout: timeout, connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(timeout / 4))) } : {},
    trustProxy: config.http.trustProxy,
    // While closing, requests on open connections are still served, with `Connection: close` (drain.ts).
    return503OnClosing: false,
    clientErrorHandler,
    frameworkErrors,
  } as Partial<FastifyServerOptions>;
}

/** Errors the router raises before any route or hook runs (Fastify's own are plain JSON). */
function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const [status, detail] = err.code === 'FST_ERR_BAD_URL' ? [400, 'the URL is not valid (bad percent-encoding)']
    : err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? [414, 'a path segment is too long']
      : [500, 'internal server error'];
  if (status >= 500) reply.log.error({ err }, 'request failed');
  void reply.code(status).type(PROBLEM_TYPE).send(problem(status, detail));
}

/** Errors Node raises before a request reaches Fastify (timeouts, oversized headers, bad HTTP), as problem+json. */
function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const detail = status === 408 ? 'the request was not received in time' : status === 431 ? 'the request headers are too large' : 'the request is not valid HTTP';
  const body = JSON.stringify(problem(status, detail));
  this.log.debug({ err: err.message, status }, 'client error');
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/**
 * Content-Security-Policy for everything the service serves. Swagger UI (/docs) and the ReDoc
 * bundle (/redoc) load only their own scripts, but both inject <style> elements (ReDoc through
 * styled-components), and ReDoc runs its search index in a Worker made from a blob: URL — hence
 * 'unsafe-inline' for styles only and `worker-src blob:`. No inline script is allowed anywhere.
 * `upgrade-insecure-requests` (helmet's default) is left out: the service is usually reached over
 * plain HTTP on a private network, where upgrading its own asset URLs to https would break the pages.
 */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  formAction: ["'self'"],
  frameAncestors: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  workerSrc: ["'self'", 'blob:'],
  upgradeInsecureRequests: null,
};

/**
 * The headers helmet sets, worked out once. They depend on the configuration only, and
 * @fastify/helmet rebuilds helmet — parsing the policy again — for every request: a fifth of the
 * CPU a health check costs. Helmet still decides every header and value.
 */
function securityHeaders(options: Parameters<typeof helmet>[0]): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => { headers[name.toLowerCase()] = String(value); },
    removeHeader: (name: string) => { delete headers[name.toLowerCase()]; },
  };
  helmet(options)({} as never, res as never, (err?: unknown) => { if (err) throw err; });
  return headers;
}

/**
 * 503 for a request received but not answered within `timeoutMs`. One timer checks every
 * open request: Fastify's own handlerTimeout gives each request an AbortController and a timer,
 * and aborts the controller when the request ends — an AbortError built for every request, a
 * noticeable share of the CPU of a small request.
 */
function registerWatchdog(app: FastifyInstance, timeoutMs: number): void {
  /** Open requests and their deadlines, in arrival order (so in deadline order). */
  const open = new Map<FastifyRequest, { reply: FastifyReply; deadline: number }>();
  app.addHook('onRequest', (request, reply, done) => {
    if (!isLongRequest(request)) open.set(request, { reply, deadline: Date.now() + timeoutMs });
    done();
  });
  app.addHook('onResponse', (request, _reply, done) => { open.delete(request); done(); });
  app.addHook('onRequestAbort', (request, done) => { open.delete(request); done(); });
  const timer = setInterval(() => {
    const now = Date.now();
    for (const [request, { reply, deadline }] of open) {
      if (deadline > now) break;
      open.delete(request);
      if (reply.sent) continue;
      // Still receiving the body: Node's requestTimeout (same deadline, counted from the first
      // byte) answers that one 408 — the client is slow, not the service — and closes the socket.
      // (Injected requests have no `complete`: they arrive whole.)
      if (request.raw.complete === false) continue;
      // A stream already under way (an export) is bounded by its own idle timeout instead: one
      // that keeps making progress runs to its end (export.ts).
      if (reply.raw.headersSent) continue;
      void reply.send(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'FST_ERR_HANDLER_TIMEOUT' }));
    }
  }, Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4))));
  timer.unref();
  app.addHook('onClose', (_app, done) => { clearInterval(timer); done(); });
}

/**
 * Whether the per-client limit applies: the API, but not health checks (infrastructure asks
 * them), nor the docs, metrics and dashboard assets. Decided by the route that matched, never by
 * the URL as sent, which may spell the same route differently (`/%61pi/v1/…` is `/api/v1/…`).
 */
function isRateLimited(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return route === undefined || (route.startsWith('/api/') && !route.startsWith('/api/v1/health'));
}

/**
 * Bound to loopback, the service is still reachable from any web page the user opens, through a
 * name the attacker's DNS points at 127.0.0.1 (DNS rebinding): requests naming any other host in
 * `Host` are refused. (A request without Host, HTTP/1.0, is no browser's.)
 */
function registerHostCheck(app: FastifyInstance, allowedHosts: string[]): void {
  const allowed = new Set(allowedHosts);
  app.addHook('onRequest', (request, _reply, done) => {
    const name = request.hostname;
    if (name === '' || allowed.has(name) || allowed.has(bareHost(name))) return done();
    done(new ProblemError(421, `this service does not answer to the host name ${JSON.stringify(name.slice(0, 100))}; see ALLOWED_HOSTS`));
  });
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A browser sends a cross-site form POST (or a no-cors fetch) without asking first, API key or
 * not: a state-changing request that says it comes from a page of another origin is refused,
 * unless CORS_ORIGINS allows that origin. Browsers say so in `Origin` and `Sec-Fetch-Site`; scripts
 * and curl send neither and are not concerned.
 */
function registerSiteCheck(app: FastifyInstance, corsOrigins: string[]): void {
  if (corsOrigins.includes('*')) return;
  const allowed = new Set(corsOrigins);
  // The page's origin against the host it sent the request to, both with their default ports
  // dropped by URL (`http://localhost` and `Host: localhost:80` are one origin).
  const sameOrigin = (origin: string, request: FastifyRequest) => {
    try {
      const page = new URL(origin);
      return new URL(`${page.protocol}//${request.host}`).host === page.host;
    } catch {
      return false; // `null`, or no URL at all
    }
  };
  app.addHook('onRequest', (request, _reply, done) => {
    if (!STATE_CHANGING.has(request.method)) return done();
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    const fine = site === 'same-origin' || site === 'none'
      || (origin === undefined ? site === undefined : allowed.has(origin) || sameOrigin(origin, request));
    if (fine) done();
    else done(new ProblemError(403, `a ${request.method} from a page of another site (${origin ?? site}) is refused; allow its origin with CORS_ORIGINS`));
  });
}

export async function registerSecurity(app: FastifyInstance, config: Config): Promise<void> {
  const { rateLimitPerMinute, corsOrigins, requestTimeoutMs, allowedHosts } = config.http;

  if (requestTimeoutMs > 0) registerWatchdog(app, requestTimeoutMs);
  if (allowedHosts) registerHostCheck(app, allowedHosts);
  registerSiteCheck(app, corsOrigins);

  // Registered even when the per-client limit is off: the API key check limits failed keys with it.
  await app.register(rateLimit, {
    global: rateLimitPerMinute > 0,
    max: rateLimitPerMinute,
    timeWindow: 60_000,
    allowList: (request) => !isRateLimited(request),
    errorResponseBuilder: (_request, context) => new ProblemError(429,
      `rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}`),
  });

  const headers = securityHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    // The API is read cross-origin when CORS_ORIGINS allows it; CORP would block no-cors reads only.
    crossOriginResourcePolicy: { policy: corsOrigins.length ? 'cross-origin' : 'same-origin' },
  });
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });

  if (corsOrigins.length) {
    await app.register(cors, {
      origin: corsOrigins.includes('*') ? '*' : corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'x-request-id', 'x-write-lsn'],
      exposedHeaders: ['location', 'retry-after', 'x-request-id', 'x-write-lsn', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
      maxAge: 600,
    });
  }
}
