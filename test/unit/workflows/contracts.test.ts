import { describe, expect, it } from 'vitest';
import * as registered from '../../../workflows';
import { delegationEvaluationWorkflowRef, delegationReviewWorkflowRef } from '../../../workflows/delegation/contract';
import { endorsementWorkflowRef } from '../../../workflows/endorsement/contract';
import { guardProposalWorkflowRef } from '../../../workflows/guard/contract';
import { notificationDeliveryWorkflowRef } from '../../../workflows/notifications/contract';
import { provenanceAnchorWorkflowRef } from '../../../workflows/provenance/contract';

// That nothing outside workflows/ but the worker reaches more than a loop's contract is one of the
// walls (test/unit/layout/walls.test.ts).

/** Every workflow reference a contract gives clients, with the function the worker registers under its name. */
const refs: [ref: { name: string }, workflow: { name: string }][] = [
  [endorsementWorkflowRef, registered.endorsementWorkflow],
  [delegationReviewWorkflowRef, registered.delegationReviewWorkflow],
  [delegationEvaluationWorkflowRef, registered.delegationEvaluationWorkflow],
  [guardProposalWorkflowRef, registered.guardProposalWorkflow],
  [notificationDeliveryWorkflowRef, registered.notificationDeliveryWorkflow],
  [provenanceAnchorWorkflowRef, registered.provenanceAnchorWorkflow],
];

describe('each loop\'s contract', () => {
  it('names workflows the worker registers, by the name the worker registers them under', () => {
    const exported = registered as Record<string, unknown>;
    for (const [ref, workflow] of refs) {
      expect(exported[ref.name], ref.name).toBe(workflow);
      expect(workflow.name).toBe(ref.name);
    }
  });

  it('gives clients a reference that never runs workflow code outside a worker', () => {
    for (const [ref] of refs) expect(() => (ref as () => unknown)()).toThrow(/runs on a worker/);
  });
});
