// `npm run sql:record`: writes docs/sql/<module>.md, the SQL each src/db/ module sends, and
// docs/sql/schema.md, the schema a fresh PostgreSQL 15 database has after every migration, so a
// reviewer sees query and schema changes as diffs. (Markdown around SQL blocks, not .sql files:
// the records repeat the code by design, and a copy-paste detector should not count them.) `npm run sql:check` (CI) writes nothing and
// fails when a committed file differs from what the code and migrations give now.
//
// Statements are read from the source, not recorded while tests run: every SQL text in this project
// is a literal in src/db/ (a string or a template whose `${…}` parts are either module constants,
// inlined here, or values the code composes at run time, kept as written), so reading the literals
// is complete whatever the tests happen to cover, and gives the same file on every machine.
//
// The schema needs a PostgreSQL server: SQL_RECORD_SERVER_URL (default TEST_DATABASE_URL, then
// postgresql://postgres@127.0.0.1:5432/postgres); a scratch database (SQL_RECORD_DATABASE, default
// md_test_sql_record_<pid>) is created there, migrated, dumped with pg_dump and dropped.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import ts from 'typescript';
import { migrate } from '../src/db/driver/migrate.ts';
import { openPostgres } from '../src/db/driver/postgres.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DB_DIR = path.join(ROOT, 'src/db');
const OUT_DIR = path.join(ROOT, 'docs/sql');
const HEADER = (title: string, what: string) =>
  `# ${title}\n\n${what} Written by \`npm run sql:record\` (scripts/record-sql.ts), checked by \`npm run sql:check\`: do not edit.\n`;
const block = (sql: string) => `\`\`\`sql\n${sql}\n\`\`\`\n`;

/** A literal is SQL when it starts with a statement keyword or holds a clause keyword (upper case, as this code writes SQL). */
const STATEMENT = /^\(?\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|TRUNCATE|COPY|VACUUM|ANALYZE|SET|SHOW|BEGIN|COMMIT|ROLLBACK|LOCK|DO|EXPLAIN|SAVEPOINT|RELEASE|RESET|DISCARD|LISTEN|NOTIFY|UNLISTEN|REINDEX|CHECKPOINT|VALUES|TABLE)\b/;
const CLAUSE = /\b(SELECT|FROM|WHERE|JOIN|ORDER BY|GROUP BY|ON CONFLICT|RETURNING|UNION ALL|LIMIT|OVER|PARTITION BY|CASE WHEN)\b/;

function dedent(text: string): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  const rest = lines.slice(1).filter((l) => l.trim());
  const indent = Math.min(...rest.map((l) => /^ */.exec(l)![0].length));
  return [lines[0]!.trim(), ...lines.slice(1).map((l) => (l.trim() ? l.slice(Number.isFinite(indent) ? indent : 0) : ''))].join('\n').trim();
}

function nameOf(node: ts.Node): string | undefined {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isClassDeclaration(node)
    || ts.isPropertyDeclaration(node) || ts.isPropertyAssignment(node) || ts.isVariableDeclaration(node)
    || ts.isGetAccessor(node)) && node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
    return node.name.getText();
  }
  return undefined;
}

/** The statements of one module, each under the names of the declarations around it (`Class.method`). */
export function statementsOf(file: string): { name: string; sql: string }[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  // Module constants made of literals only: inlined where a statement interpolates them.
  const constants = new Map<string, ts.Expression>();
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const d of statement.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && d.initializer && (ts.isStringLiteral(d.initializer) || ts.isNoSubstitutionTemplateLiteral(d.initializer) || ts.isTemplateExpression(d.initializer))) {
        constants.set(d.name.text, d.initializer);
      }
    }
  }
  const textOf = (node: ts.Expression, seen: Set<string> = new Set()): string => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
    if (!ts.isTemplateExpression(node)) return `\${${node.getText()}}`;
    let text = node.head.text;
    for (const span of node.templateSpans) {
      const e = span.expression;
      const id = ts.isIdentifier(e) && !seen.has(e.text) ? e.text : undefined;
      const constant = id === undefined ? undefined : constants.get(id);
      text += constant ? textOf(constant, new Set([...seen, id!])) : `\${${e.getText()}}`;
      text += span.literal.text;
    }
    return text;
  };

  const found: { name: string; sql: string }[] = [];
  const visit = (node: ts.Node, names: string[]): void => {
    const name = nameOf(node);
    const here = name ? [...names, name] : names;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) {
      // Skip imports, and the literal parts of a template already taken whole.
      if (ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent)) return;
      const sql = textOf(node);
      if (STATEMENT.test(sql.trim()) || (CLAUSE.test(sql) && /\s/.test(sql.trim()))) {
        found.push({ name: here.join('.') || '(module)', sql: dedent(sql) });
      }
      return;
    }
    ts.forEachChild(node, (child) => visit(child, here));
  };
  visit(source, []);
  // Several statements under one name are numbered in source order.
  const counts = new Map<string, number>();
  for (const f of found) counts.set(f.name, (counts.get(f.name) ?? 0) + 1);
  const seen = new Map<string, number>();
  return found.map((f) => {
    if (counts.get(f.name) === 1) return f;
    const n = (seen.get(f.name) ?? 0) + 1;
    seen.set(f.name, n);
    return { name: `${f.name} (${n})`, sql: f.sql };
  });
}

function recordedQueries(): Map<string, string> {
  const files = new Map<string, string>();
  // Every module under src/db/ (driver/, repositories/), recorded under its file name: names are unique.
  const entries = (fs.readdirSync(DB_DIR, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => f.split(path.sep).join('/')).sort();
  for (const entry of entries) {
    const statements = statementsOf(path.join(DB_DIR, entry));
    if (!statements.length) continue;
    const body = statements.map((s) => `## ${s.name}\n\n${block(s.sql)}`).join('\n');
    const name = `${path.basename(entry, '.ts')}.md`;
    if (files.has(name)) throw new Error(`two src/db modules are named ${name.slice(0, -3)}: rename one`);
    files.set(name, `${HEADER(`src/db/${entry}`, 'Its SQL in source order, module constants inlined and parts composed at run time kept as written.')}\n${body}`);
  }
  return files;
}

/** pg_dump's schema, without what varies between runs and versions (SET lines, comments, owners). */
export function normaliseDump(dump: string): string {
  const kept = dump.split('\n').filter((line) => !/^(--|SET |SELECT pg_catalog\.set_config|\\(un)?restrict )/.test(line));
  return `${kept.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

async function recordedSchema(): Promise<string> {
  const server = new URL(process.env.SQL_RECORD_SERVER_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  const name = process.env.SQL_RECORD_DATABASE ?? `md_test_sql_record_${process.pid}`;
  const admin = await openPostgres({ url: server.href, poolSize: 1 });
  const quoted = `"${name.replaceAll('"', '""')}"`;
  try {
    await admin.exec(`DROP DATABASE IF EXISTS ${quoted}`);
    await admin.exec(`CREATE DATABASE ${quoted}`);
    const url = new URL(server.href);
    url.pathname = `/${name}`;
    const db = await openPostgres({ url: url.href, poolSize: 1 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    const dump = execFileSync('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', '--no-tablespaces', url.href], { encoding: 'utf8' });
    return `${HEADER('Schema', 'After every migration, as `pg_dump --schema-only` of PostgreSQL 15 gives it (without SET lines, comments and owners).')}\n${block(normaliseDump(dump).trimEnd())}`;
  } finally {
    await admin.exec(`DROP DATABASE IF EXISTS ${quoted}`);
    await admin.close();
  }
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const wanted = recordedQueries();
  wanted.set('schema.md', await recordedSchema());
  const present = fs.existsSync(OUT_DIR) ? fs.readdirSync(OUT_DIR).filter((f) => f.endsWith('.md')) : [];
  const stale = [...wanted].filter(([file, text]) => !present.includes(file) || fs.readFileSync(path.join(OUT_DIR, file), 'utf8') !== text).map(([file]) => file);
  const extra = present.filter((f) => !wanted.has(f));
  if (check) {
    if (!stale.length && !extra.length) return console.log(`docs/sql: ${wanted.size} files up to date`);
    for (const f of stale) console.error(`docs/sql/${f} is stale`);
    for (const f of extra) console.error(`docs/sql/${f} has no source any more`);
    console.error('run `npm run sql:record` and commit the result');
    process.exitCode = 1;
    return;
  }
  fs.mkdirSync(OUT_DIR, { recursive: true });
  for (const f of stale) fs.writeFileSync(path.join(OUT_DIR, f), wanted.get(f)!);
  for (const f of extra) fs.rmSync(path.join(OUT_DIR, f));
  console.log(`docs/sql: ${stale.length} written, ${extra.length} removed, ${wanted.size - stale.length} unchanged`);
}

await main();
