import { proxyActivities } from '@temporalio/workflow';
import type { WardenActivities } from '../../activities';

const { recordProvenance } = proxyActivities<WardenActivities>({ startToCloseTimeout: '30s' });

/** Exercises the shared provenance activity from a workflow, as every loop does. */
export async function provenanceFixtureWorkflow(subject: string, times: number): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < times; i++) {
    const entry = await recordProvenance({ kind: 'test.fixture', subject, actor: null, payload: { step: i } });
    seqs.push(entry.seq);
  }
  return seqs;
}
