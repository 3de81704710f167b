import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import layout from '../../../scripts/lint/rooms.json';

/**
 * The walls of LAYOUT.md, read from the sources: which room may import which, that SQL lives in
 * db/ alone, and that workflow code reaches nothing that needs Node. Tests and benchmarks are
 * harnesses, not rooms: they import anything and seed or inspect tables directly.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Per room, the rooms it may import, bottom to top (LAYOUT.md), from the one table eslint.config.js
 * reads too. `types` are rooms it may import types from only (`import type`, erased at run time);
 * `@entries` stands for every room below the process entry points. A room not listed there is not
 * a room of the house: the test fails until it is placed.
 */
const MAY_IMPORT: Record<string, { values: string[]; types?: string[] }> = Object.fromEntries(
  Object.entries(layout.rooms as Record<string, { values: string[]; types?: string[] }>).map(([room, rule]) => [
    room,
    { ...rule, values: rule.values.flatMap((r) => (r === '@entries' ? layout.belowEntries : [r])) },
  ]),
);

/**
 * Rooms that may reach workflows/ only through a loop's contract (`workflows/<loop>/contract.ts`):
 * the workflow functions, their state machines and helpers stay the worker's (the process entry
 * points, which register them, and the harnesses are not walled).
 */
const CONTRACT_ONLY = new Set(layout.contractOnly);
const CONTRACT = /^workflows\/[a-z-]+\/contract\.ts$/;

/** Packages whose values only the storage layer (and the harnesses) may load. */
const DATABASE_DRIVERS = /^(pg|@electric-sql\/.*)$/;
const NODE_BUILTIN = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace(/[/\\]/g, '\\$&')).join('|')})$`);

interface Import {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

const CLAUSE = String.raw`(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*\s+as\s+[\w$]+)|[\w$]+`;
const STATIC_IMPORT = new RegExp(
  String.raw`(?:^|\n)[ \t]*import\s+(type\s+)?(${CLAUSE})\s+from\s+['"]([^'"]+)['"]`,
  'g',
);
const RE_EXPORT = new RegExp(
  String.raw`(?:^|\n)[ \t]*export\s+(type\s+)?(\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?)\s+from\s+['"]([^'"]+)['"]`,
  'g',
);
const BARE_IMPORT = /(?:^|\n)[ \t]*import\s+['"]([^'"]+)['"]/g;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

const lineAt = (source: string, index: number) =>
  source.slice(0, index).split('\n').length + (source[index] === '\n' ? 1 : 0);

/** `import { type A, type B }` imports types only, as `import type { A, B }` does. */
const onlyTypes = (clause: string) => {
  const braces = /^\{([^}]*)\}$/.exec(clause.trim());
  const names =
    braces?.[1]!
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean) ?? [];
  return names.length > 0 && names.every((n) => n.startsWith('type '));
};

function importsOf(source: string): Import[] {
  const found: Import[] = [];
  for (const m of source.matchAll(STATIC_IMPORT))
    found.push({ specifier: m[3]!, typeOnly: !!m[1] || onlyTypes(m[2]!), line: lineAt(source, m.index!) });
  for (const m of source.matchAll(RE_EXPORT))
    found.push({ specifier: m[3]!, typeOnly: !!m[1] || onlyTypes(m[2]!), line: lineAt(source, m.index!) });
  for (const m of source.matchAll(BARE_IMPORT))
    found.push({ specifier: m[1]!, typeOnly: false, line: lineAt(source, m.index!) });
  for (const m of source.matchAll(DYNAMIC_IMPORT))
    found.push({ specifier: m[1]!, typeOnly: false, line: lineAt(source, m.index!) });
  return found;
}

/** The contents of every string and template literal, comments skipped. */
function stringLiterals(source: string): string[] {
  const literals: string[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '/' && source[i + 1] === '/') {
      const end = source.indexOf('\n', i);
      i = end < 0 ? source.length : end;
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
      literals.push(source.slice(i + 1, j));
      i = j + 1;
    } else i += 1;
  }
  return literals;
}

const SQL =
  /\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+[\w"]+\s+SET|DELETE\s+FROM|(CREATE|ALTER|DROP)\s+(TABLE|INDEX|DATABASE|SCHEMA|TRIGGER|FUNCTION)|TRUNCATE\s)/;
/** A statement sent through a pool or a transaction client, whatever builds its text. */
const DATABASE_CALL = /\b(pool|tx|q|client)\s*\.\s*query\s*[<(]/;

/** The room of a repository path: its top folder, or undefined for tests and files at the root. */
function roomOf(path: string): string | undefined {
  const top = path.split('/')[0]!;
  if (top === 'test' || !path.includes('/')) return undefined;
  return top;
}

type Sources = Map<string, string>;

function resolveRelative(sources: Sources, from: string, specifier: string): string | undefined {
  const base = normalize(join(dirname(from), specifier))
    .split(sep)
    .join('/');
  return [base, `${base}.ts`, `${base}/index.ts`].find((candidate) => sources.has(candidate));
}

/** Every import that crosses a wall of MAY_IMPORT, the database drivers' or Node's, as one line each. */
function importViolations(sources: Sources): string[] {
  const violations: string[] = [];
  for (const [path, source] of sources) {
    const room = roomOf(path);
    if (!room) continue;
    const rules = MAY_IMPORT[room];
    if (!rules) {
      violations.push(`${path}: ${room}/ is no room of LAYOUT.md; place it in the walls test`);
      continue;
    }
    for (const imp of importsOf(source)) {
      const where = `${path}:${imp.line} imports ${imp.specifier}`;
      if (!imp.specifier.startsWith('.')) {
        if (!imp.typeOnly && DATABASE_DRIVERS.test(imp.specifier) && room !== 'db' && room !== 'bench')
          violations.push(`${where}: only db/ talks to the database driver`);
        if (
          NODE_BUILTIN.test(imp.specifier) &&
          (room === 'workflows' || (room === 'domain' && !path.startsWith('domain/non-workflow/')))
        ) {
          violations.push(
            `${where}: a Node built-in ${room === 'domain' ? 'belongs in domain/non-workflow/' : 'cannot run in the workflow sandbox'}`,
          );
        }
        continue;
      }
      const target = resolveRelative(sources, path, imp.specifier);
      if (!target) {
        violations.push(`${where}: no such source file`);
        continue;
      }
      const targetRoom = roomOf(target);
      if (targetRoom === undefined) {
        violations.push(`${where}: product code never imports tests`);
        continue;
      }
      if (targetRoom === room) continue;
      if (targetRoom === 'workflows' && CONTRACT_ONLY.has(room) && !CONTRACT.test(target)) {
        violations.push(`${where}: ${room}/ reaches workflows/ only through a loop's contract.ts`);
        continue;
      }
      const allowed = rules.values.includes(targetRoom) || (imp.typeOnly && (rules.types ?? []).includes(targetRoom));
      if (!allowed) {
        const typesOnly = (rules.types ?? []).includes(targetRoom) ? ' (types only)' : '';
        violations.push(`${where}: ${room}/ may not import ${targetRoom}/${typesOnly}`);
      }
    }
  }
  return violations.sort();
}

/** SQL in a string literal, or a query sent, anywhere but db/ (tests and benchmarks are harnesses). */
function sqlViolations(sources: Sources): string[] {
  const violations: string[] = [];
  for (const [path, source] of sources) {
    const room = roomOf(path);
    if (!room || room === 'db' || room === 'bench') continue;
    for (const literal of stringLiterals(source)) {
      const sql = SQL.exec(literal);
      if (sql) violations.push(`${path}: SQL outside db/: ${literal.trim().split('\n')[0]!.slice(0, 80)}`);
    }
    const call = DATABASE_CALL.exec(source);
    if (call) violations.push(`${path}:${lineAt(source, call.index)}: a query sent outside db/: ${call[0]}`);
  }
  return violations.sort();
}

/**
 * What the workflow bundle would load: every file workflows/ reaches through value imports. None
 * may be a file of domain/non-workflow/ or import a Node built-in (types are erased, so `import
 * type` reaches nothing).
 */
/**
 * Modules every workflow run would evaluate for nothing: the bundle loads all workflows' imports
 * into each run's own module cache, so a value import of the whole ABP schema (for one enum) built
 * it for every review, endorsement and proposal run, and every cached run kept a copy.
 */
const HEAVY_FOR_WORKFLOWS = new Map([
  ['domain/delegation/schema.ts', 'the whole ABP schema, built in every workflow run'],
]);

function workflowSandboxViolations(sources: Sources): string[] {
  const violations = new Set<string>();
  const seen = new Set<string>();
  const visit = (path: string, chain: string[]) => {
    if (seen.has(path)) return;
    seen.add(path);
    const route = [...chain, path].join(' → ');
    if (path.startsWith('domain/non-workflow/')) violations.add(`${route}: stays out of workflows`);
    const heavy = HEAVY_FOR_WORKFLOWS.get(path);
    if (heavy) violations.add(`${route}: ${heavy}`);
    for (const imp of importsOf(sources.get(path) ?? '')) {
      if (imp.typeOnly) continue;
      if (NODE_BUILTIN.test(imp.specifier)) violations.add(`${route}: imports ${imp.specifier}`);
      if (!imp.specifier.startsWith('.')) continue;
      const target = resolveRelative(sources, path, imp.specifier);
      if (target) visit(target, [...chain, path]);
    }
  };
  for (const path of [...sources.keys()].sort()) if (path.startsWith('workflows/')) visit(path, []);
  return [...violations].sort();
}

const SKIPPED = new Set(['node_modules', 'dist', '.git', '.warden', '.warden-test', 'test-artifacts', 'docs']);

function readSources(): Sources {
  const sources: Sources = new Map();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (SKIPPED.has(name) || name.startsWith('.')) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|mjs|js)$/.test(name))
        sources.set(relative(root, full).split(sep).join('/'), readFileSync(full, 'utf8'));
    }
  };
  walk(root);
  return sources;
}

const sources = readSources();

describe('the walls of LAYOUT.md, in the sources', () => {
  it('reads the whole house', () => {
    for (const room of [
      'domain',
      'db',
      'workflows',
      'activities',
      'client',
      'api',
      'cli',
      'worker',
      'demo',
      'examples',
    ]) {
      expect(
        [...sources.keys()].some((p) => p.startsWith(`${room}/`)),
        room,
      ).toBe(true);
    }
  });

  it('no import from client/ or api/ into activities/', () => {
    expect(importViolations(sources).filter((v) => /^(client|api)\/.*may not import activities\//.test(v))).toEqual([]);
  });

  it("client/, api/ and activities/ reach workflows/ only through each loop's contract.ts", () => {
    expect(importViolations(sources).filter((v) => /workflows\//.test(v))).toEqual([]);
    const throughContracts = [...sources].filter(
      ([path, source]) => /^(client|activities)\//.test(path) && /\/workflows\/[a-z-]+\/contract'/.test(source),
    );
    expect(throughContracts.length).toBeGreaterThan(5);
  });

  it('no import points up a layer or across a wall', () => {
    expect(importViolations(sources)).toEqual([]);
  });

  it('no SQL outside db/', () => {
    expect(sqlViolations(sources)).toEqual([]);
  });

  it('workflows reach no Node built-in and nothing in domain/non-workflow/', () => {
    expect(workflowSandboxViolations(sources)).toEqual([]);
  });
});

describe('the walls test itself', () => {
  const house = (files: Record<string, string>): Sources => new Map(Object.entries(files));

  it('flags an import from client/ into activities/, and one that points up a layer', () => {
    const v = importViolations(
      house({
        'activities/endorsement/index.ts': 'export const x = 1;\n',
        'client/endorsement.ts': "import { x } from '../activities/endorsement';\n",
        'db/pool.ts': "import { y } from '../client/endorsement';\n",
        'workflows/review.ts':
          "import type { A } from '../activities/endorsement';\nimport { x } from '../activities/endorsement/index';\n",
      }),
    );
    expect(v).toEqual([
      'client/endorsement.ts:1 imports ../activities/endorsement: client/ may not import activities/',
      'db/pool.ts:1 imports ../client/endorsement: db/ may not import client/',
      'workflows/review.ts:2 imports ../activities/endorsement/index: workflows/ may not import activities/ (types only)',
    ]);
  });

  it('lets examples/ use the public client only, as a user would', () => {
    const v = importViolations(
      house({
        'client/warden.ts': 'export class Warden {}\n',
        'domain/errors.ts': 'export const e = 1;\n',
        'demo/guard.ts': 'export const d = 1;\n',
        'examples/guard-loop.ts':
          "import { Warden } from '../client/warden';\nimport { e } from '../domain/errors';\nimport { d } from '../demo/guard';\n",
      }),
    );
    expect(v).toEqual([
      'examples/guard-loop.ts:2 imports ../domain/errors: examples/ may not import domain/',
      'examples/guard-loop.ts:3 imports ../demo/guard: examples/ may not import demo/',
    ]);
  });

  it("lets client/ and activities/ reach workflows/ through a loop's contract.ts alone, and api/ not at all", () => {
    const v = importViolations(
      house({
        'workflows/guard/contract.ts': 'export const ref = 1;\n',
        'workflows/guard/proposal.ts': 'export function guardProposalWorkflow() {}\n',
        'workflows/guard/proposal-machine.ts': 'export class ProposalMachine {}\n',
        'client/guard.ts':
          "import { ref } from '../workflows/guard/contract';\nimport type { guardProposalWorkflow } from '../workflows/guard/proposal';\n",
        'activities/guard/index.ts': "import type { ProposalMachine } from '../../workflows/guard/proposal-machine';\n",
        'api/routes/guard.ts': "import { ref } from '../../workflows/guard/contract';\n",
        'worker/workflows.ts': "import { guardProposalWorkflow } from '../workflows/guard/proposal';\n",
      }),
    );
    expect(v).toEqual([
      "activities/guard/index.ts:1 imports ../../workflows/guard/proposal-machine: activities/ reaches workflows/ only through a loop's contract.ts",
      'api/routes/guard.ts:1 imports ../../workflows/guard/contract: api/ may not import workflows/',
      "client/guard.ts:2 imports ../workflows/guard/proposal: client/ reaches workflows/ only through a loop's contract.ts",
    ]);
  });

  it('flags SQL and queries outside db/, but not in db/ or in prose', () => {
    const v = sqlViolations(
      house({
        'client/health.ts':
          "// SELECT in a comment is prose\nconst x = await ctx.pool.query<{ n: number }>('SELECT 1 AS n');\n",
        'db/migrate.ts': "await tx.query('SELECT 1');\n",
        'cli/output.ts': "const help = 'select the rows you want';\n",
      }),
    );
    expect(v).toEqual([
      'client/health.ts: SQL outside db/: SELECT 1 AS n',
      'client/health.ts:2: a query sent outside db/: pool.query<',
    ]);
  });

  it('flags a workflow that reaches node:crypto through the domain', () => {
    const v = workflowSandboxViolations(
      house({
        'workflows/review.ts':
          "import { digest } from '../domain/delegation/digest';\nimport type { T } from '../domain/non-workflow/types';\n",
        'domain/delegation/digest.ts': "import { sha256Hex } from '../non-workflow/sha256';\n",
        'domain/non-workflow/sha256.ts': "import { createHash } from 'node:crypto';\n",
        'domain/non-workflow/types.ts': 'export type T = string;\n',
      }),
    );
    expect(v).toEqual([
      'workflows/review.ts → domain/delegation/digest.ts → domain/non-workflow/sha256.ts: imports node:crypto',
      'workflows/review.ts → domain/delegation/digest.ts → domain/non-workflow/sha256.ts: stays out of workflows',
    ]);
  });
});
