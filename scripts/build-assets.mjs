// The part of `npm run build:server` that tsc does not do: ReDoc's standalone bundle is copied into
// dist/vendor (redoc is a dev dependency: its 100-odd packages stay out of production installs),
// and the `market-data` command is made executable.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
fs.mkdirSync('dist/vendor', { recursive: true });
fs.copyFileSync(require.resolve('redoc/bundles/redoc.standalone.js'), 'dist/vendor/redoc.standalone.js');
fs.chmodSync('dist/cli/market-data.js', 0o755);
