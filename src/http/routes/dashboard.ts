// The dashboard at `/`: the Vite build of web/ (web/dist, made by `npm run build:web`, which
// `npm ci` runs), served by this process with every asset, so it works without internet.
// Assets have content-hashed names: cached for a year, and sent pre-compressed (.br/.gz written
// by the build) so no CPU is spent compressing per request. The page itself is never cached.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

// The page runs no inline script or style, so it works under this policy; a stricter or global
// policy set by an earlier hook (helmet) is left as it is.
const CSP = "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const NOT_BUILT = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Dashboard not built</title></head>
<body>
<h1>The dashboard has not been built</h1>
<p>Build it with <code>npm run build:web</code> (<code>npm ci</code> does it too), then restart the service.</p>
<p>The API is running: see <a href="/docs">/docs</a> and <a href="/api/v1/health">/api/v1/health</a>.</p>
</body></html>
`;

interface DashboardOptions {
  /** The built front end (default: web/dist beside src/). */
  dir?: string;
}

const plugin: FastifyPluginAsync<DashboardOptions> = async (app, { dir = WEB_DIST }) => {
  const index = path.join(dir, 'index.html');
  const assets = path.join(dir, 'assets');
  if (fs.existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets, prefix: '/assets/', decorateReply: false, index: false,
      preCompressed: true, immutable: true, maxAge: '365d',
    });
  }

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CSP);
    let html: Buffer;
    try {
      html = await fs.promises.readFile(index); // read per request: a rebuild shows without a restart
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  });
};

export default plugin;
