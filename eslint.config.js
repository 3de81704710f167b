import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layout from './scripts/lint/rooms.json' with { type: 'json' };

/**
 * The walls of LAYOUT.md as lint rules, so an editor shows a wrong import where it is typed.
 * test/unit/layout/walls.test.ts proves the same walls over the whole import graph (it resolves
 * every path); these rules read import specifiers only, which is what makes them fast.
 */
const ROOMS = Object.keys(layout.rooms);
const allowedOf = (room) => layout.rooms[room].values.flatMap((r) => (r === '@entries' ? layout.belowEntries : [r]));
const typesOnlyOf = (room) => layout.rooms[room].types ?? [];
const NODE_BUILTINS = [...builtinModules.filter((m) => !m.startsWith('_')), ...builtinModules.map((m) => `node:${m}`)];
const DEPTHS = [1, 2, 3, 4, 5];
const SOURCES = '{ts,js,mjs}';

/** A relative specifier from a file `depth` folders deep that lands in one of `rooms` at the top. */
const intoRooms = (depth, rooms) => `^(\\./)?(\\.\\./){${depth}}(${rooms.join('|')})(/|$)`;

/** The rooms whose values may load the database driver: the storage layer and the benchmarks' seeding. */
const DRIVER_ROOMS = ['db', 'bench'];

/** What neither the workflow sandbox nor pure domain code may load (the driver is walled off below). */
const NODE_BUILTIN_PATHS = (message) => NODE_BUILTINS.map((name) => ({ name, message }));
const SANDBOX = {
  workflows: 'Workflow code runs in the deterministic sandbox: no Node built-ins.',
  domain: 'domain/ is pure: files needing Node live in domain/non-workflow/.',
};

/**
 * Per room and file depth: the rooms it may not import, the rooms it may import types from only,
 * and for workflows/ and domain/ (outside domain/non-workflow/) Node and the database driver.
 */
function wallsOf(room) {
  const allowed = new Set(allowedOf(room));
  const typesOnly = typesOnlyOf(room);
  const forbidden = ROOMS.filter((r) => r !== room && !allowed.has(r) && !typesOnly.includes(r));
  return DEPTHS.flatMap((depth) => {
    const patterns = [];
    if (forbidden.length) {
      patterns.push({
        regex: intoRooms(depth, forbidden),
        caseSensitive: true,
        message: `${room}/ may not import this room (LAYOUT.md).`,
      });
    }
    if (typesOnly.length) {
      patterns.push({
        regex: intoRooms(depth, typesOnly),
        caseSensitive: true,
        allowTypeImports: true,
        message: `${room}/ may import this room's types only (import type; activities through proxyActivities).`,
      });
    }
    if (layout.contractOnly.includes(room) && allowed.has('workflows')) {
      patterns.push({
        regex: `^(\\./)?(\\.\\./){${depth}}workflows/(?![a-z-]+/contract$)`,
        caseSensitive: true,
        message: `${room}/ reaches workflows/ only through a loop's contract.ts.`,
      });
    }
    if (room === 'workflows') {
      patterns.push({
        regex: '(^|/)non-workflow(/|$)',
        message: 'domain/non-workflow/ needs Node: never in workflow code.',
      });
    }
    if (!DRIVER_ROOMS.includes(room)) {
      patterns.push({
        regex: '^(pg|@electric-sql/.*)$',
        allowTypeImports: true,
        message: 'Only db/ talks to the database driver.',
      });
    }
    const files = [`${room}/${'*/'.repeat(depth - 1)}*.${SOURCES}`];
    const rule = (paths) => ({ '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] });
    if (!SANDBOX[room]) return [{ files, rules: rule([]) }];
    const sandboxed = { files, rules: rule(NODE_BUILTIN_PATHS(SANDBOX[room])) };
    if (room !== 'domain') return [sandboxed];
    return [
      { ...sandboxed, ignores: ['domain/non-workflow/**'] },
      { files: [`domain/non-workflow/**/*.${SOURCES}`], rules: rule([]) },
    ];
  });
}

/** SQL lives in db/ only: a statement in a string anywhere else is refused. */
const SQL = String.raw`/\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+[\w"]+\s+SET|DELETE\s+FROM|(CREATE|ALTER|DROP)\s+(TABLE|INDEX|DATABASE|SCHEMA|TRIGGER|FUNCTION)|TRUNCATE\s)/`;
const sqlOutsideDb = {
  files: [`**/*.${SOURCES}`],
  ignores: ['db/**', 'bench/**', 'test/**'],
  rules: {
    'no-restricted-syntax': [
      'error',
      { selector: `Literal[value=${SQL}]`, message: 'SQL lives in db/ (a typed store function).' },
      { selector: `TemplateElement[value.raw=${SQL}]`, message: 'SQL lives in db/ (a typed store function).' },
    ],
  },
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.warden/**',
      '.warden-test/**',
      'test-artifacts/**',
      'bench/results/**',
      'dashboard/vendor/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
      },
    },
    rules: {
      // TypeScript already proves these (strict mode); keeping both only doubles the noise.
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Warden refuses NUL and other control characters on purpose; the patterns that find them must name them.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests and benchmarks are harnesses (with the model stub they share): they read untyped JSON
    // answers from the API, the CLI and model clients.
    files: ['test/**', 'bench/**', 'toolchain/model-stub.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...ROOMS.flatMap(wallsOf),
  sqlOutsideDb,
);
