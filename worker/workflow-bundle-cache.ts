import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/**
 * Folders no workflow code comes from: what they hold never changes the bundle (dist/ is compiled
 * from the sources that are read anyway). Test bundles name the ones they do come from (`include`).
 */
const NOT_BUNDLED = new Set([
  'node_modules',
  'dist',
  'test',
  'bench',
  'scratch-tmp',
  'test-artifacts',
  'dashboard',
  'docs',
]);

async function sourceFiles(root: string, skip: string, include: readonly string[], dir = root): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if ((dir === root && NOT_BUNDLED.has(entry.name) && !include.includes(entry.name)) || path === skip) continue;
      found.push(...(await sourceFiles(root, skip, include, path)));
    } else if (/\.(ts|mts|cts|js|mjs|cjs|json)$/.test(entry.name)) {
      found.push(path);
    }
  }
  return found;
}

/**
 * A digest of everything a workflow bundle can be built from: every source file of the project
 * (not only those the workflows import today, so a new import can never leave a stale bundle)
 * and the lock file, which pins the SDK and webpack. `skip` is a folder under `root` that holds no
 * sources (the bundle cache); it is required because `resolve('')` would be the working directory.
 */
export async function workflowSourceDigest(
  root: string,
  skip: string,
  include: readonly string[] = [],
): Promise<string> {
  const hash = createHash('sha256');
  const files = (await sourceFiles(root, resolve(skip), include))
    .map((f) => relative(root, f).split(sep).join('/'))
    .sort();
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(await readFile(join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

export interface CachedBundle {
  code: string;
  /** Built now (and stored), or read from the cache. */
  source: 'built' | 'cache';
  path: string;
}

/**
 * The workflow bundle for `workflowsPath`, built with webpack only when the project's sources
 * changed since the last build: a restart with the same code skips the ten-odd seconds of
 * bundling. Older bundles in `cacheDir` beyond `keep` are removed; a cache that cannot be written only costs
 * the next start another build.
 */
export async function cachedWorkflowBundle(opts: {
  root: string;
  workflowsPath: string;
  cacheDir: string;
  /** Top-level folders the digest reads although no Warden workflow comes from them (a test bundle's). */
  include?: readonly string[];
  /** How many bundles the cache keeps, the newest built; default 1 (a data directory's). */
  keep?: number;
  log?: (line: string) => void;
}): Promise<CachedBundle> {
  // The cache may live inside the project (a data dir under it): its bundles are not sources.
  const digest = await workflowSourceDigest(opts.root, opts.cacheDir, opts.include);
  const path = join(opts.cacheDir, `workflow-bundle-${digest.slice(0, 32)}.js`);
  try {
    return { code: await readFile(path, 'utf8'), source: 'cache', path };
  } catch {
    // Not built for these sources yet.
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: opts.workflowsPath,
    logger: {
      log: () => undefined,
      info: () => undefined,
      warn: (m) => opts.log?.(m),
      error: (m) => opts.log?.(m),
      debug: () => undefined,
      trace: () => undefined,
    },
  });
  try {
    await mkdir(opts.cacheDir, { recursive: true });
    const scratch = `${path}.${process.pid}.tmp`;
    await writeFile(scratch, code);
    await rename(scratch, path);
    const older = (await readdir(opts.cacheDir)).filter(
      (name) => name.startsWith('workflow-bundle-') && join(opts.cacheDir, name) !== path && !name.endsWith('.tmp'),
    );
    const byAge = await Promise.all(
      older.map(async (name) => ({
        name,
        mtimeMs: (await stat(join(opts.cacheDir, name)).catch(() => ({ mtimeMs: 0 }))).mtimeMs,
      })),
    );
    byAge.sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const { name } of byAge.slice((opts.keep ?? 1) - 1)) await rm(join(opts.cacheDir, name), { force: true });
  } catch (error) {
    opts.log?.(`workflow bundle not cached (${(error as Error).message}); the next start bundles again`);
  }
  return { code, source: 'built', path };
}
