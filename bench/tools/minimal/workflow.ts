import { condition, patched } from '@temporalio/workflow';

/**
 * The least a review-like workflow can be: started with search attributes and a summary, its
 * first task starts a timer (a review's timeout) and waits; optionally one `patched` marker (each
 * comes with the SDK's upsert of TemporalChangeVersion). Nothing else: no activity, no details.
 */
export async function minimalWorkflow(opts: { patch: boolean }): Promise<void> {
  if (opts.patch) patched('minimal-workflow-patch');
  await condition(() => false, '1 day');
}
