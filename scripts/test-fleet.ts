import { spawnSync } from 'node:child_process';
import { loadConfig } from '../config/env';
import { ensureTemporalClusterBinaries } from '../toolchain/temporal-cluster-build';

/**
 * `npm run test:fleet`: builds (first run only) the real Temporal server and UI server into the
 * cache, then runs the fleet tests (test/fleet/). Extra arguments go to vitest.
 */
const config = loadConfig();
await ensureTemporalClusterBinaries(config.cacheDir, (line) => console.log(`[toolchain] ${line}`));
const vitest = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/fleet/vitest.config.ts', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(vitest.status ?? 1);
