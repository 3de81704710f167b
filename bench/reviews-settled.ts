import type { Client } from '@temporalio/client';
import { closedLoop } from './load';

/**
 * Waits until every review's workflow is at rest: its first workflow task completed (its history
 * goes past the start, the task's scheduling and its start) and no workflow task is pending, as
 * the dev server describes each one. Asks again, a second apart, only about the ones not yet at
 * rest; fails after `maxMs` rather than measuring a phase that never settled. Returns the wait.
 */
export async function untilReviewsSettled(
  client: Client,
  reviewIds: readonly string[],
  { concurrency = 8, maxMs = 300_000 } = {},
): Promise<number> {
  const t0 = performance.now();
  let pending = [...reviewIds];
  while (pending.length > 0) {
    if (performance.now() - t0 > maxMs)
      throw new Error(`${pending.length} of ${reviewIds.length} reviews not at rest after ${maxMs} ms`);
    const busy: string[] = [];
    await closedLoop(pending.length, concurrency, async (i) => {
      const id = pending[i]!;
      const described = await client.workflow.getHandle(id).describe();
      if (described.historyLength < 4 || described.raw.pendingWorkflowTask) busy.push(id);
    });
    pending = busy;
    if (pending.length > 0) await new Promise((r) => setTimeout(r, 1000));
  }
  return performance.now() - t0;
}
