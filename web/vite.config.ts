/// <reference types="node" />
// Builds web/ into web/dist: hashed assets under assets/, each written also as .gz and .br so
// the service sends them compressed without compressing per request (see src/http/routes/dashboard.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { defineConfig, type Plugin } from 'vite';

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

function precompress(): Plugin {
  return {
    name: 'precompress',
    apply: 'build',
    async writeBundle(options, bundle) {
      const dir = options.dir!;
      await Promise.all(Object.keys(bundle).filter((f) => /\.(js|css|svg|html)$/.test(f)).map(async (file) => {
        const data = await fs.readFile(path.join(dir, file));
        await fs.writeFile(path.join(dir, `${file}.gz`), await gzip(data, { level: 9 }));
        await fs.writeFile(path.join(dir, `${file}.br`), await brotli(data, {
          params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
        }));
      }));
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Nothing inline: the page must run under `default-src 'self'` (no data: URLs, no inline code).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  plugins: [precompress()],
});
