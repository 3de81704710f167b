// Makes sure dist/ holds the entry points compiled from the sources as they are now, before
// bin/warden.js or bin/run.js runs one. The usual case costs a read of the stamp and a stat per
// compiled source (a few milliseconds): `npm start`/`npm test` compile after installing
// (scripts/ensure-deps.mjs), and only someone who edits a source and runs an entry point right
// away pays for a build here.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILDER_FILES, ENTRIES, STAMP, distPathOf, root, toPosix } from './dist-layout.mjs';

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** Why dist/ cannot be used as it is, or undefined when it matches the sources. */
export function staleReason() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
    for (const entry of ENTRIES) statSync(distPathOf(join(root, entry)));
  } catch {
    return 'not compiled yet';
  }
  for (const file of BUILDER_FILES) {
    if (stamp.builder?.[toPosix(relative(root, file))] !== sha256(readFileSync(file)))
      return `${toPosix(relative(root, file))} changed`;
  }
  for (const [source, recorded] of Object.entries(stamp.sources ?? {})) {
    const path = join(root, source);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return `${source} is gone`;
    }
    // A checkout touches mtimes without changing contents: only a different hash counts.
    if (stat.size === recorded.size && stat.mtimeMs === recorded.mtimeMs) continue;
    if (sha256(readFileSync(path)) !== recorded.sha256) return `${source} changed`;
  }
  return undefined;
}

/** Whether `entry` (a path relative to the repository root, e.g. worker/main.ts) is run compiled. */
export function isCompiledEntry(entry) {
  return ENTRIES.includes(toPosix(entry));
}

/**
 * The URL of the compiled `entry`, compiling first when the sources changed; undefined when it
 * cannot be compiled here (no TypeScript, as after `npm ci --omit=dev`, or dist/ not writable),
 * and the caller runs the source through tsx instead.
 */
export async function compiledEntry(entry) {
  const reason = staleReason();
  if (reason) {
    try {
      const { buildDist } = await import('./build-dist.mjs');
      process.stderr.write(`warden: compiling to dist/ (${reason})…\n`);
      buildDist();
    } catch (error) {
      if (!['ERR_MODULE_NOT_FOUND', 'EACCES', 'EROFS', 'EPERM'].includes(error?.code)) throw error;
      process.stderr.write(
        `warden: running ${entry} through tsx (cannot compile to dist/: ${error.message.split('\n')[0]})\n`,
      );
      return undefined;
    }
  }
  return pathToFileURL(distPathOf(join(root, entry))).href;
}

/** Runs `entry` from dist/, or its TypeScript source through tsx when it cannot be compiled. */
export async function runEntry(entry) {
  const compiled = await compiledEntry(entry);
  if (compiled) return import(compiled);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(root, entry)).href);
}
