/**
 * seeds/self-improving-guard-loop.txt: the document's calibration example, line by line, on
 * Warden's TypeScript client; then a LoRA proposal refused for a dataset URI with credentials.
 *
 *   npm run example -- guard-loop
 *
 * It runs on the demo the first `npm start` seeds: the policy policy.self_improving.regulated
 * (the document's RiskEnvelope), 40 reviewed feedback events, carol (who proposes) and dave (who
 * holds the policy's approver role, safety-lead). Warden adds who: a proposal is made for a
 * principal, and approved and released by another one who holds the approver role. Proposal
 * ids are derived from their content, so running this again finds the same proposal.
 */
import { describeError } from '../client/errors';
import { Warden } from '../client/warden';

const warden = await Warden.connect();
try {
  const loop = warden.guardLoop({ policyId: 'policy.self_improving.regulated', proposer: 'carol' });

  const proposal = await loop.proposeCalibrationUpdate({
    sourceRef: 'feedback://recent-reviewed',
    currentThreshold: 0.55,
    candidateThreshold: 0.58,
    confidenceLow: 0.51,
    confidenceHigh: 0.61,
    rollbackId: 'threshold-profile-20260513-a',
  });
  console.log(
    `Proposal ${proposal.proposal_id}: ${proposal.guard_decision?.decision} (${proposal.guard_decision?.reason})`,
  );
  console.log(`Manifest ${proposal.manifest.manifest_id}: ${proposal.manifest.event_count} reviewed events`);

  const approved = await loop.approve(proposal, { approvalId: 'review-20260513-002', approver: 'dave' });
  console.log(
    `Approved: ${approved.approved} (${approved.approval_id}), submitted: ${approved.submitted}, promotion_status: ${approved.promotion_status}`,
  );

  // release() returns the approved payload for an external deployment controller; Warden applies nothing.
  const payload = await loop.release(approved, { releaser: 'dave' });
  console.log(`Payload: ${JSON.stringify(payload)}`);

  const event = await loop.toSafetyEvent(approved, { hookId: 'guard-loop.example', requestId: 'req-20260513-002' });
  console.log(
    `Safety event ${event.event_id}: ${event.policy_decision} at hook ${event.hook_id} (${event.hook_scope})`,
  );

  // LoRA jobs are proposal-only, and a dataset URI with embedded credentials is refused outright.
  try {
    await loop.proposeLoraJob({
      sourceRef: 'feedback://recent-reviewed',
      datasetUri: 'https://trainer:hunter2@datasets.example.com/guard/reviewed.jsonl',
      baseModelRef: 'guard-base-v3',
      rollbackId: 'guard-lora-20260513-a',
      heldoutScore: 0.91,
      baselineScore: 0.88,
    });
    console.log('LoRA proposal accepted (unexpected)');
  } catch (error) {
    // describeError gives the message (and HTTP status) every surface reports for a failure.
    console.log(`LoRA proposal refused: ${describeError(error).message}`);
  }
} finally {
  await warden.close();
}
