#!/usr/bin/env node
// Runs one of Warden's TypeScript entry points (paths relative to the repo root) through tsx, so
// no build step stands between a fresh clone and a running stack.
import { resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node bin/run.js <entry.ts> [args…]');
  process.exit(2);
}
const target = resolve(root, entry);
process.argv = [process.argv[0], target, ...rest];
await import(pathToFileURL(target).href);
