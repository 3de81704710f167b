import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { describeZodError } from '../../../domain/input/field-issues';
import * as registered from '../../../workflows';
import {
  approveInputSchema,
  delegationEvaluationWorkflowRef,
  delegationReviewWorkflowRef,
  dismissInputSchema,
} from '../../../workflows/delegation/contract';
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

describe("each loop's contract", () => {
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

describe("the delegation review's Update inputs, by the contract's schemas", () => {
  const refusal = (schema: z.ZodType, input: unknown) => {
    const parsed = schema.safeParse(input);
    return parsed.success ? 'accepted' : describeZodError(parsed.error);
  };
  const hash = `sha256:${'a'.repeat(64)}`;

  it('accepts a well-formed approval and dismissal', () => {
    expect(
      refusal(approveInputSchema, { principal: 'rev', outputKind: 'abp_patch', outputHash: hash, reason: 'ok' }),
    ).toBe('accepted');
    expect(refusal(dismissInputSchema, { principal: 'rev', reason: 'not needed' })).toBe('accepted');
  });

  it('names every field at fault, as the validators refuse them', () => {
    expect(
      refusal(approveInputSchema, { principal: '', outputKind: 'abp_merge', outputHash: 'md5:1', reason: '  ' }),
    ).toBe(
      'principal: required; outputKind: Invalid option: expected one of "abp_patch"|"abp_replace"|"abp_revoke"; ' +
        'outputHash: must look like sha256:<64 hex>; reason: required',
    );
    expect(refusal(dismissInputSchema, {})).toBe('principal: required; reason: required');
  });
});
