// Installs npm dependencies when they are missing or older than package-lock.json, so `npm start`
// and `npm test` work on a fresh clone. Plain Node on purpose: it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.warden-deps-stamp');
const manifest = existsSync(lock) ? lock : join(root, 'package.json');
const digest = createHash('sha256').update(readFileSync(manifest)).digest('hex');

const current = existsSync(stamp) && readFileSync(stamp, 'utf8') === digest;
if (!current) {
  // `npm install` rather than `npm ci`: it honours the lock file too, and npm ci refuses locks that
  // lack other platforms' optional binaries (@swc/core's), which a lock written on Linux does.
  console.error('warden: installing npm dependencies (npm install)…');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('warden: npm could not install the dependencies; see the output above.');
    process.exit(r.status ?? 1);
  }
  writeFileSync(stamp, digest);
}
