#!/usr/bin/env node
// `warden`: runs the CLI compiled to dist/ (scripts/build-dist.mjs), compiled again first when a
// source changed since the last build.
import { runEntry } from '../scripts/compiled.mjs';

await runEntry('cli/main.ts');
