import type { Command } from 'commander';
import type { ProgressCallback } from '../domain/progress';
import { createProgressBar } from './progress-bar';
import { wantsJson } from './output';

/**
 * Runs a long command step with a progress bar on standard error, named `label` in its final
 * line. With --json there is no bar at all: a script reading the output wants only the result.
 */
export async function withProgress<T>(
  cmd: Command,
  label: string,
  work: (onProgress: ProgressCallback | undefined) => Promise<T>,
): Promise<T> {
  if (wantsJson(cmd)) return work(undefined);
  const bar = createProgressBar(process.stderr, { label });
  try {
    const result = await work(bar.update);
    bar.finish();
    return result;
  } catch (error) {
    bar.abort();
    throw error;
  }
}
