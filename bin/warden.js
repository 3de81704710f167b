#!/usr/bin/env node
// `warden`: runs the CLI compiled to dist/ (scripts/build-dist.mjs), compiled again first when a
// source changed since the last build.
import { compiledEntry } from '../scripts/compiled.mjs';

await import(await compiledEntry('cli/main.ts'));
