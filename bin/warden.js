#!/usr/bin/env node
// `warden`: runs the CLI compiled to dist/ (scripts/build-cli.mjs), compiled again first when a
// source changed since the last build.
import { compiledCli } from '../scripts/compiled-cli.mjs';

await import(await compiledCli());
