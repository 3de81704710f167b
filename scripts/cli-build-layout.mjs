// Where the compiled CLI lives, shared by the build (scripts/build-cli.mjs) and the check that
// bin/warden.js runs before every call (scripts/compiled-cli.mjs). Plain Node, no dependencies.
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRY = join(root, 'cli', 'main.ts');
export const DIST = join(root, 'dist');
/** Written last by a build: every source it compiled, with size, mtime and SHA-256. */
export const STAMP = join(DIST, 'cli-build.json');
/** A change to these changes what a build writes, so it makes the stamp stale too. */
export const BUILDER_FILES = [join(root, 'scripts', 'build-cli.mjs'), fileURLToPath(import.meta.url)];

export const toPosix = (path) => path.split(sep).join('/');

/** dist/<same path>.js for a source under the repository root. */
export function distPathOf(source) {
  return join(DIST, relative(root, source)).replace(/\.ts$/, '.js');
}
