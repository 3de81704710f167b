import { setHandler } from '@temporalio/workflow';
import { AnchorMachine } from './anchor-machine';
import { anchorNowUpdate, anchorStateQuery, type AnchorInput } from './contract';

/**
 * The provenance head anchor: one long-lived workflow per chain (id from the provenance key).
 * Every interval, or when asked through the anchorNow update, it has an activity check that the
 * chain still holds the entry it anchored last and sign a checkpoint of the new head; the
 * checkpoint lives in this workflow's history and memo, out of reach of whoever can write the
 * database. It never moves back: a chain that lost or changed anchored entries is recorded as a
 * violation and the last checkpoint stays, for `provenance verify` to compare against. The state
 * machine is AnchorMachine; this wires its handlers and runs its main line.
 */
export async function provenanceAnchorWorkflow(input: AnchorInput): Promise<void> {
  const anchor = new AnchorMachine(input);
  setHandler(anchorStateQuery, () => anchor.reading());
  setHandler(anchorNowUpdate, () => anchor.anchorNow());
  await anchor.run();
}
