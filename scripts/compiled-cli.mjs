// Makes sure dist/ holds the CLI compiled from the sources as they are now, before bin/warden.js
// runs it. The usual case costs a read of the stamp and a stat per compiled source (a few
// milliseconds): `npm start`/`npm test` compile after installing (scripts/ensure-deps.mjs), and
// only someone who edits a source and calls `warden` right away pays for a build here.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILDER_FILES, ENTRY, STAMP, distPathOf, root, toPosix } from './cli-build-layout.mjs';
import { relative } from 'node:path';

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** Why dist/ cannot be used as it is, or undefined when it matches the sources. */
export function staleReason() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
    statSync(distPathOf(ENTRY));
  } catch {
    return 'not compiled yet';
  }
  for (const file of BUILDER_FILES) {
    if (stamp.builder?.[toPosix(relative(root, file))] !== sha256(readFileSync(file))) return `${toPosix(relative(root, file))} changed`;
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

/** The URL of the compiled entry point, compiling first when the sources changed. */
export async function compiledCli() {
  const reason = staleReason();
  if (reason) {
    const { buildCli } = await import('./build-cli.mjs');
    process.stderr.write(`warden: compiling the CLI (${reason})…\n`);
    buildCli();
  }
  return pathToFileURL(distPathOf(ENTRY)).href;
}
