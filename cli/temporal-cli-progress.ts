import { ensureTemporalCli } from '../toolchain/temporal-cli';
import { createProgressBar } from './progress-bar';

/**
 * `ensureTemporalCli` for a person watching (`npm start`, `npm test`): a first-run build shows its
 * module downloads and package count on a bar on stderr, and its messages, after `prefix`, above it.
 */
export async function ensureTemporalCliShowingProgress(cacheDir: string, prefix: string): Promise<string> {
  const bar = createProgressBar(process.stderr);
  try {
    return await ensureTemporalCli(cacheDir, (line) => bar.note(`${prefix} ${line}`), bar.update);
  } finally {
    bar.finish();
  }
}
