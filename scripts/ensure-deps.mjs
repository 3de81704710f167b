// Installs npm dependencies when they are missing or older than package-lock.json, then compiles
// the CLI when a source changed, so `npm start` and `npm test` work on a fresh clone. Plain Node
// on purpose: it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.warden-deps-stamp');
const digest = createHash('sha256').update(readFileSync(lock)).digest('hex');

const current = existsSync(stamp) && readFileSync(stamp, 'utf8') === digest;
if (!current) {
  // `npm ci` installs exactly the lock file and never rewrites it, so a clone stays clean. The
  // lock lists every platform's optional binaries (@swc/core's), which `npm ci` requires.
  console.error('warden: installing npm dependencies (npm ci)…');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('warden: npm could not install the dependencies; see the output above.');
    process.exit(r.status ?? 1);
  }
  writeFileSync(stamp, digest);
}

const { staleReason } = await import('./compiled.mjs');
const reason = staleReason();
if (reason) {
  const { buildDist } = await import('./build-dist.mjs');
  const started = Date.now();
  const modules = buildDist();
  console.error(
    `warden: compiled the CLI and the start-up processes to dist/ (${reason}: ${modules} modules in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}
