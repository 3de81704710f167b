import { spawnSync } from 'node:child_process';
import { ensureTemporalCliShowingProgress } from '../cli/temporal-cli-progress';
import { loadConfig } from '../config/env';
import { ensureChromium } from '../toolchain/chromium';
import { ensureTestServer } from '../toolchain/test-server';

/**
 * `npm test`: makes sure the cached toolchain exists (building or resolving it on first use, with
 * progress) and Debian's chromium for the browser tests, then runs every vitest project. Extra
 * arguments go to vitest (e.g. a file filter).
 */
const config = loadConfig();
const progress = (line: string) => console.log(`[toolchain] ${line}`);
await ensureTemporalCliShowingProgress(config.cacheDir, '[toolchain]');
await ensureTestServer({ onProgress: progress });
await ensureChromium(progress);
const vitest = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(vitest.status ?? 1);
