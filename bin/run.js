#!/usr/bin/env node
// Runs one of Warden's entry points (paths relative to the repo root): the compiled JavaScript in
// dist/ for those scripts/dist-layout.mjs lists (the CLI and the processes of `npm start`),
// compiled again first when a source changed; anything else (tests, benchmarks) through tsx, so
// no build step stands between a fresh clone and running it.
import { relative, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isCompiledEntry, runEntry } from '../scripts/compiled.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node bin/run.js <entry.ts> [args…]');
  process.exit(2);
}
const target = resolve(root, entry);
process.argv = [process.argv[0], target, ...rest];
if (isCompiledEntry(relative(root, target))) {
  await runEntry(relative(root, target));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(target).href);
}
