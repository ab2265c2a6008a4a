#!/usr/bin/env bash
# Moves the code into the layout of issue 20: src/http/{routes,plugins}, src/db/{driver,repositories},
# and test/ mirroring src/ (chaos and end-to-end tests in their own folders). Files are moved with
# `git mv` and every relative import, `new URL(…, import.meta.url)`, Markdown link and written path
# (docs, comments, configs) is rewritten to the new places. Re-runnable: on a tree already moved it
# finds nothing to move and changes nothing. Files it cannot classify are listed and left in place.
# Usage: scripts/relayout.sh   (from anywhere inside the repository; commit the result yourself)
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

node --input-type=module - <<'EOF'
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const tracked = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter((f) => f && fs.existsSync(f));
const unclassified = [];

// --- Where each source file goes ------------------------------------------------------------
const ROUTES = ['health', 'market-data', 'tickers', 'etl', 'export', 'export-formats', 'ticker-summaries', 'quality', 'dashboard'];
const PLUGINS = ['security', 'errors', 'auth', 'docs', 'drain', 'read-your-writes', 'json-body', 'validation'];
const HTTP_SHARED = ['schemas', 'cursor']; // used by several routes (and the bench, for cursor)
const DRIVER = ['database', 'postgres', 'pglite', 'pglite-worker', 'wire-server', 'replicas', 'lsn', 'read-context',
  'data-dir-lock', 'profile', 'batcher', 'migrate', 'errors', 'fs-native-extensions.d'];
const REPOSITORIES = ['adjustments', 'bulk-import', 'corporate-actions', 'counts', 'derived-bars', 'entitlements', 'etl-runs',
  'load-journal', 'maintenance', 'market-data-export', 'market-data-list', 'market-data', 'period-bars', 'quality',
  'record-json', 'sessions', 'source-usage', 'ticker-datasets', 'ticker-summaries'];
const SQL = /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE (TABLE|INDEX)|ON CONFLICT)\b/;
const base = (f) => path.basename(f).replace(/\.ts$/, '');

function srcTarget(f) {
  let m;
  if ((m = /^src\/api\/([^/]+\.ts)$/.exec(f))) {
    const b = base(f);
    if (ROUTES.includes(b)) return `src/http/routes/${m[1]}`;
    if (PLUGINS.includes(b)) return `src/http/plugins/${m[1]}`;
    if (HTTP_SHARED.includes(b)) return `src/http/${m[1]}`;
    const text = fs.readFileSync(f, 'utf8');
    if (/\.(get|post|put|patch|delete|route)\(\s*['"`]\//.test(text)) return `src/http/routes/${m[1]}`;
    if (/addHook|decorate|setErrorHandler|addContentTypeParser/.test(text)) return `src/http/plugins/${m[1]}`;
    unclassified.push(`${f} (now src/http/${m[1]})`);
    return `src/http/${m[1]}`;
  }
  if ((m = /^src\/db\/([^/]+\.ts)$/.exec(f))) {
    const b = base(f);
    if (b === 'index') return f; // the public entry stays where importers look for it
    if (DRIVER.includes(b)) return `src/db/driver/${m[1]}`;
    if (REPOSITORIES.includes(b) || SQL.test(fs.readFileSync(f, 'utf8'))) return `src/db/repositories/${m[1]}`;
    unclassified.push(`${f} (left in place: no SQL, not in the driver list)`);
    return f;
  }
  return f;
}

// --- Where each test goes -------------------------------------------------------------------
const TESTS = {
  'test/api/adjustments.test.ts': 'test/http/routes/adjustments.test.ts',
  'test/api/analysis-docs.test.ts': 'test/http/routes/analysis-docs.test.ts',
  'test/api/dashboard-page.test.ts': 'test/http/routes/dashboard.test.ts',
  'test/api/docs-auth.test.ts': 'test/http/plugins/docs-auth.test.ts',
  'test/api/export-formats.test.ts': 'test/http/routes/export-formats.test.ts',
  'test/api/export-stream.test.ts': 'test/http/routes/export-stream.test.ts',
  'test/api/export.test.ts': 'test/http/routes/export.test.ts',
  'test/api/market-data-list.test.ts': 'test/http/routes/market-data-list.test.ts',
  'test/api/market-data-write.test.ts': 'test/http/routes/market-data-write.test.ts',
  'test/api/property-hostile-input.test.ts': 'test/http/property-hostile-input.test.ts',
  'test/api/quality.test.ts': 'test/http/routes/quality.test.ts',
  'test/api/record-json.test.ts': 'test/http/record-json.test.ts',
  'test/api/ticker-summaries.test.ts': 'test/http/routes/ticker-summaries.test.ts',
  'test/api/tickers-health.test.ts': 'test/http/routes/tickers-health.test.ts',
  'test/unit/bar.test.ts': 'test/model/bar.test.ts',
  'test/unit/calendar.test.ts': 'test/model/calendar.test.ts',
  'test/unit/quality.test.ts': 'test/model/quality.test.ts',
  'test/unit/classify.test.ts': 'test/sources/alpha-vantage/classify.test.ts',
  'test/unit/config.test.ts': 'test/config.test.ts',
  'test/unit/logger.test.ts': 'test/logger.test.ts',
  'test/unit/cursor.test.ts': 'test/http/cursor.test.ts',
  'test/unit/export-formats.test.ts': 'test/http/routes/export-formats-values.test.ts',
  'test/unit/freshness.test.ts': 'test/etl/freshness.test.ts',
  'test/unit/planner.test.ts': 'test/etl/planner.test.ts',
  'test/unit/transform.test.ts': 'test/etl/transform.test.ts',
  'test/unit/replicas.test.ts': 'test/db/driver/replicas.test.ts',
  'test/security/audit-check.test.ts': 'test/scripts/audit-check.test.ts',
  'test/security/config-security.test.ts': 'test/config-security.test.ts',
  'test/security/hardening.test.ts': 'test/http/plugins/hardening.test.ts',
  'test/security/upstream-body.test.ts': 'test/sources/alpha-vantage/upstream-body.test.ts',
  'test/security/docs-browser.test.ts': 'test/e2e/web/docs-browser.test.ts',
  'test/web/dashboard.test.ts': 'test/e2e/web/dashboard.test.ts',
  'test/observability/metrics-and-logs.test.ts': 'test/metrics-and-logs.test.ts',
  'test/faults/replicas.test.ts': 'test/e2e/replicas.test.ts',
  'test/faults/second-writer.test.ts': 'test/http/routes/second-writer.test.ts',
  'test/db/batcher.test.ts': 'test/db/driver/batcher.test.ts',
  'test/db/data-dir-lock.test.ts': 'test/db/driver/data-dir-lock.test.ts',
  'test/db/embedded.test.ts': 'test/db/driver/embedded.test.ts',
  'test/db/migrate.test.ts': 'test/db/driver/migrate.test.ts',
  'test/db/profile.test.ts': 'test/db/driver/profile.test.ts',
  'test/db/listing-seek.test.ts': 'test/db/repositories/listing-seek.test.ts',
  'test/db/maintenance.test.ts': 'test/db/repositories/maintenance.test.ts',
  'test/db/quality.test.ts': 'test/db/repositories/quality.test.ts',
  'test/db/schema.test.ts': 'test/db/schema.test.ts', // the migrations' schema: stays beside both folders
  // test/db/schema.test.ts (the migrations), test/etl, test/e2e, test/chaos, test/helpers and
  // test/fixtures are already where they belong.
};
/** Folders whose files must all find a new home. */
const OLD_TEST_DIRS = ['test/api/', 'test/unit/', 'test/security/', 'test/observability/', 'test/faults/', 'test/web/'];

function testTarget(f, moved) {
  if (TESTS[f]) return TESTS[f];
  const m = /^test\/(api|unit|db|security|observability|faults|web)\/([^/]+)$/.exec(f);
  if (!m) return f;
  // By rule: a test goes beside (in the mirror of) the src module it imports, the one of its own
  // name first (test/unit/x.test.ts importing src/db/x.ts goes to test/db/<its new folder>/).
  const name = m[2].replace(/\.test\.ts$/, '');
  const imported = [...fs.readFileSync(f, 'utf8').matchAll(/\bfrom\s+['"](\.\.?\/[^'"]+)['"]/g)]
    .map((i) => path.normalize(path.join(path.dirname(f), i[1])))
    .filter((t) => t.startsWith('src/') && moved.has(t))
    .map((t) => moved.get(t));
  const src = imported.find((t) => base(t) === name) ?? imported[0];
  if (src && m[1] !== 'web') return `test/${path.dirname(src).slice(4)}/${m[2]}`.replace('test//', 'test/');
  if (m[1] === 'api') return `test/http/${m[2]}`;
  if (m[1] === 'web') return `test/e2e/web/${m[2]}`;
  if (OLD_TEST_DIRS.includes(`test/${m[1]}/`)) unclassified.push(`${f} (left in place)`);
  return f;
}

const moves = new Map(); // old → new, every tracked file
for (const f of tracked) moves.set(f, srcTarget(f));
for (const f of tracked) if (f.startsWith('test/')) moves.set(f, testTarget(f, moves));
const newOf = (p) => moves.get(p) ?? p;
const moving = [...moves].filter(([a, b]) => a !== b);
if (!moving.length) {
  console.log('relayout: nothing to move (already laid out)');
  if (unclassified.length) console.log(`relayout: not classified:\n  ${unclassified.join('\n  ')}`);
  process.exit(0);
}
const targets = new Set();
for (const [, b] of moving) {
  if (targets.has(b) || (fs.existsSync(b) && newOf(b) === b)) throw new Error(`relayout: two files would be ${b}`);
  targets.add(b);
}

// --- Rewriting references -------------------------------------------------------------------
const rel = (fromFile, to) => {
  let r = path.relative(path.dirname(fromFile), to);
  if (!r.startsWith('.')) r = `./${r}`;
  return r;
};
/** A relative reference written in `file` (at `oldFile`), re-pointed from `newFile`. */
function repoint(spec, oldFile, newFileOfIt) {
  if (!/^\.\.?\//.test(spec)) return spec;
  const trailing = spec.endsWith('/') ? '/' : '';
  let target = path.normalize(path.join(path.dirname(oldFile), spec));
  const known = (p) => moves.has(p) || fs.existsSync(p) || (p.endsWith('.js') && moves.has(p.replace(/\.js$/, '.ts')));
  // Code run from the repository root (`node -e "import … from './src/…'"`, cwd ROOT) names paths from there.
  const fromRoot = path.normalize(spec);
  if (!known(target) && moves.has(fromRoot)) return `./${newOf(fromRoot)}`;
  let to = newOf(target);
  // dist/ mirrors src/: a built file's neighbour moved as its source did.
  if (!moves.has(target) && target.endsWith('.js')) {
    const asTs = target.replace(/\.js$/, '.ts');
    if (moves.has(asTs)) to = newOf(asTs).replace(/\.ts$/, '.js');
  }
  if (to === target && newFileOfIt === oldFile) return spec;
  const r = rel(newFileOfIt, to) + (trailing && !rel(newFileOfIt, to).endsWith('/') ? '/' : '');
  return r;
}

// Written paths (docs, comments, configs): each moved file's repository path, and the built file
// under dist/ for a moved source file. Not when part of a relative specifier (../src/…).
const written = new Map();
for (const [a, b] of moving) {
  written.set(a, b);
  if (a.startsWith('src/') && a.endsWith('.ts')) {
    written.set(`dist/${a.slice(4, -3)}.js`, `dist/${b.slice(4, -3)}.js`);
    written.set(a.slice(4), b.slice(4)); // comments say `db/replicas.ts` for src/db/replicas.ts
  }
}
// Folders that disappear, where a sentence names the folder itself.
const DIRS = { 'src/api/': 'src/http/', 'test/web/': 'test/e2e/web/', 'test/web': 'test/e2e/web', 'test/security/': 'test/http/plugins/' };
const keys = [...written.keys(), ...Object.keys(DIRS)].sort((x, y) => y.length - x.length);
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const WRITTEN = new RegExp(`(?<![\\w./-])(${keys.map(esc).join('|')})(?![\\w-])`, 'g');

const CODE = /\.(ts|mts|mjs|js|cjs)$/;
const TEXT = /\.(ts|mts|mjs|js|cjs|json|jsonc|md|sql|sh|yml|yaml|html|lua|css|txt)$|(^|\/)(Dockerfile|run|\.dockerignore|\.gitignore)$/;
const SKIP = /^(node_modules|dist|web\/dist|migrations)\/|package-lock\.json$/; // a migration's text is checksummed: never edited
const contents = new Map(); // new path → new text
for (const f of tracked) {
  if (SKIP.test(f) || !TEXT.test(f) || f === 'scripts/relayout.sh') continue;
  const text = fs.readFileSync(f, 'utf8');
  const to = newOf(f);
  let out = text;
  if (CODE.test(f)) {
    const fix = (_m, pre, spec, post) => `${pre}${repoint(spec, f, to)}${post}`;
    out = out
      .replace(/(\bfrom\s+['"])([^'"]+)(['"])/g, fix)
      .replace(/(\bimport\s*\(\s*['"])([^'"]+)(['"])/g, fix)
      .replace(/(^\s*import\s+['"])([^'"]+)(['"])/gm, fix)
      .replace(/(\bnew URL\(\s*['"])([^'"`]+)(['"],\s*import\.meta\.url)/g, fix);
  }
  if (f.endsWith('.md')) {
    // Links relative to the page: `](../src/x.ts)`, `](src/x.ts)`.
    out = out.replace(/(\]\()([^)#\s]+)(\)|#)/g, (m, pre, spec, post) => {
      if (/^([a-z]+:|\/|#)/.test(spec)) return m;
      const dotted = spec.startsWith('.');
      const r = repoint(dotted ? spec : `./${spec}`, f, to);
      return `${pre}${dotted ? r : r.replace(/^\.\//, '')}${post}`;
    });
  }
  out = out.replace(WRITTEN, (p) => written.get(p) ?? DIRS[p]);
  if (out !== text || to !== f) contents.set(to, out);
}

for (const [a, b] of moving) {
  fs.mkdirSync(path.dirname(b), { recursive: true });
  execFileSync('git', ['mv', a, b]);
  console.log(`  ${a} → ${b}`);
}
// Folders the moves emptied (git keeps no folders; the working tree would).
for (const dir of new Set(moving.map(([a]) => path.dirname(a)).sort((x, y) => y.length - x.length))) {
  if (fs.existsSync(dir) && !fs.readdirSync(dir).length) fs.rmdirSync(dir);
}
for (const [f, text] of contents) {
  if (fs.readFileSync(f, 'utf8') !== text) fs.writeFileSync(f, text);
}
execFileSync('git', ['add', '-A', '--', ...new Set([...contents.keys()])]);
console.log(`relayout: moved ${moving.length} files, rewrote ${contents.size}`);
if (unclassified.length) console.log(`relayout: not classified:\n  ${unclassified.join('\n  ')}`);
EOF
