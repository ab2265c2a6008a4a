// OpenAPI generated from the route schemas, with Swagger UI at /docs and ReDoc at /redoc.
// Every asset comes from this process, none from a CDN: many deployments,
// and these machines, have no internet.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);

/**
 * ReDoc's standalone bundle: copied into dist/vendor by the build (redoc is a dev dependency), or
 * read from node_modules when running from the sources. Read on first use, not at start.
 * ReDoc 2.x always shows Redocly's logo from cdn.redoc.ly in its sidebar: a request to another
 * host, and a Content-Security-Policy violation (img-src 'self' data:). It gets an empty image.
 */
let redocBundle: string | undefined;
function readRedocBundle(): string {
  if (redocBundle) return redocBundle;
  const built = fileURLToPath(new URL('../../vendor/redoc.standalone.js', import.meta.url));
  const file = fs.existsSync(built) ? built : require.resolve('redoc/bundles/redoc.standalone.js');
  redocBundle = fs.readFileSync(file, 'utf8')
    .replaceAll('https://cdn.redoc.ly/redoc/logo-mini.svg', "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E");
  return redocBundle;
}

const REDOC_PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Market data API — ReDoc</title>
  <style>body { margin: 0; padding: 0; }</style>
</head>
<body>
  <redoc spec-url="/openapi.json"></redoc>
  <script src="/redoc/redoc.standalone.js"></script>
</body>
</html>
`;

export async function registerDocs(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Market data API',
        version,
        description: 'Daily stock prices (OHLCV) loaded from Alpha Vantage into PostgreSQL. ' +
          'Errors are RFC 9457 problem details (`application/problem+json`).',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    // Schemas registered with addSchema (Problem) become components, referenced by name.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (json.$id as string) || `def-${i}` },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/redoc', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(REDOC_PAGE));
  app.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_req, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(readRedocBundle()));
}
