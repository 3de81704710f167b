// Where the compiled entry points live, shared by the build (scripts/build-dist.mjs) and the check
// that bin/warden.js and bin/run.js run before using them (scripts/compiled.mjs). Plain Node.
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The entry points run as compiled JavaScript: the CLI, and the processes `npm start` runs (the
 * start command, the embedded PostgreSQL, the worker with the HTTP API, and the tether that runs
 * the Temporal dev server), and the AI SDK middleware that package.json exports as `warden/ai-sdk`
 * (so an agent's project in plain Node can import it). Everything they import is compiled with
 * them; anything else (tests, benchmarks, scripts) still runs through tsx.
 */
export const ENTRIES = [
  'cli/main.ts',
  'start/main.ts',
  'start/tethered-main.ts',
  'start/embedded-postgres-main.ts',
  'worker/main.ts',
  'sdk/ai-sdk.ts',
];
export const DIST = join(root, 'dist');
/** Written last by a build: every source it compiled, with size, mtime and SHA-256. */
export const STAMP = join(DIST, 'build.json');
/** A change to these changes what a build writes, so it makes the stamp stale too. */
export const BUILDER_FILES = [join(root, 'scripts', 'build-dist.mjs'), fileURLToPath(import.meta.url)];

export const toPosix = (path) => path.split(sep).join('/');

/** dist/<same path>.js for a source under the repository root. */
export function distPathOf(source) {
  return join(DIST, relative(root, source)).replace(/\.ts$/, '.js');
}
