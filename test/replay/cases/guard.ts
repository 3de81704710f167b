import type { WardenContext } from '../../../client/context';
import { approve, ingestFeedback, proposeCalibrationUpdate, proposeLoraJob, release } from '../../../client/guard';
import type { guardProposalWorkflow } from '../../../workflows/guard/proposal';
import { releaseProposalUpdate } from '../../../workflows/guard/contract';
import {
  reviewedRows,
  seedCalibrationRequest,
  seedPeopleAndPolicy,
  SEED_POLICY,
  toNdjson,
  uniqueSuffix,
  type GuardPeople,
} from '../../integration/guard/guard-fixtures';
import { BEFORE_NOTIFICATIONS, onEarlierRelease } from './earlier-release';
import { refusal, type ReplayCase } from './replay-case';

export interface GuardScene extends GuardPeople {
  /** 40 reviewed feedback events of a tenant of its own. */
  source: string;
  calibration(rollbackId: string): ReturnType<typeof seedCalibrationRequest>;
}

/** The seed's policy and people, and reviewed feedback (texts stay in PostgreSQL; histories see ids and counts). */
export async function guardScene(ctx: WardenContext): Promise<GuardScene> {
  const suffix = uniqueSuffix();
  const people = await seedPeopleAndPolicy(ctx, suffix);
  const tenant = `replay-${suffix}`;
  await ingestFeedback(ctx, toNdjson(reviewedRows(tenant, 40, { marker: suffix })), people.proposer);
  const source = `feedback://recent-reviewed?tenant=${tenant}`;
  return {
    ...people,
    source,
    calibration: (rollbackId) => seedCalibrationRequest(people.proposer, source, rollbackId),
  };
}

async function ended(ctx: WardenContext, proposalId: string, expected: string): Promise<void> {
  const result = await ctx.temporal.workflow.getHandle<typeof guardProposalWorkflow>(proposalId).result();
  if (result.state !== expected) throw new Error(`proposal ${proposalId} ended ${result.state}, expected ${expected}`);
}

const proposalCase = (
  name: string,
  record: (ctx: WardenContext, scene: GuardScene) => Promise<string>,
): ReplayCase => ({
  workflow: 'guardProposalWorkflow',
  name,
  record: async ({ ctx }) => [{ caseName: name, workflowId: await record(ctx, await guardScene(ctx)) }],
});

export const proposalCases: ReplayCase[] = [
  proposalCase('approved-released', async (ctx, scene) => {
    const p = await proposeCalibrationUpdate(ctx, scene.calibration('threshold-profile-replay-a'));
    await approve(ctx, p.proposal_id, { approval_id: 'review-replay-a', approver: scene.approver });
    await release(ctx, p.proposal_id, scene.approver);
    await ended(ctx, p.proposal_id, 'released');
    return p.proposal_id;
  }),
  proposalCase('expired', async (ctx, scene) => {
    // The approval window (7 days by default; 2 s here: the history is the same but for the duration).
    const p = await proposeCalibrationUpdate(ctx, {
      ...scene.calibration('threshold-profile-replay-b'),
      approval_timeout: '2s',
    });
    await ended(ctx, p.proposal_id, 'expired');
    return p.proposal_id;
  }),
  proposalCase('warned-cannot-be-approved', async (ctx, scene) => {
    // Too little feedback: the gates warn, the proposal ends warned and no approval is taken.
    const p = await proposeCalibrationUpdate(ctx, {
      ...scene.calibration('threshold-profile-replay-c'),
      source_ref: `${scene.source}&until=2026-05-13T08:31:00Z`,
    });
    await ended(ctx, p.proposal_id, 'warned');
    await refusal(
      approve(ctx, p.proposal_id, { approval_id: 'review-replay-c', approver: scene.approver }),
      /cannot approve proposal with decision 'warn'/,
    );
    return p.proposal_id;
  }),
  proposalCase('refused-approval-and-release-then-released', async (ctx, scene) => {
    // Refusals the activities make (so they are in the history as failed Updates): an approver
    // without the policy's role, then a release by someone without it; the rightful ones follow.
    const p = await proposeCalibrationUpdate(ctx, scene.calibration('threshold-profile-replay-d'));
    await refusal(
      approve(ctx, p.proposal_id, { approval_id: 'review-replay-d0', approver: scene.bystander }),
      /does not hold the role safety-lead/,
    );
    await approve(ctx, p.proposal_id, { approval_id: 'review-replay-d1', approver: scene.approver });
    const handle = ctx.temporal.workflow.getHandle(p.proposal_id);
    await refusal(
      handle.executeUpdate(releaseProposalUpdate, { args: [{ releaser: scene.bystander }] }),
      /needs the role safety-lead or admin/,
    );
    await release(ctx, p.proposal_id, scene.approver);
    await ended(ctx, p.proposal_id, 'released');
    return p.proposal_id;
  }),
  proposalCase('lora-approved-released', async (ctx, scene) => {
    const p = await proposeLoraJob(ctx, {
      policy_id: SEED_POLICY.policy_id,
      source_ref: scene.source,
      proposer: scene.proposer,
      dataset_uri: 's3://bucket/set',
      base_model_ref: 'guard-base-v3',
      heldout_score: 0.91,
      baseline_score: 0.88,
      rollback_id: 'lora-replay-a',
    });
    await approve(ctx, p.proposal_id, { approval_id: 'lora-review-replay-a', approver: scene.approver });
    await release(ctx, p.proposal_id, scene.approver);
    await ended(ctx, p.proposal_id, 'released');
    return p.proposal_id;
  }),
  {
    workflow: 'guardProposalWorkflow',
    name: 'approved-released.before-notifications',
    record: async (stack) => {
      const scene = await guardScene(stack.ctx);
      const id = await onEarlierRelease(stack, BEFORE_NOTIFICATIONS, async (earlier) => {
        const p = await proposeCalibrationUpdate(earlier, scene.calibration('threshold-profile-replay-e'));
        await approve(earlier, p.proposal_id, { approval_id: 'review-replay-e', approver: scene.approver });
        await release(earlier, p.proposal_id, scene.approver);
        await ended(earlier, p.proposal_id, 'released');
        return p.proposal_id;
      });
      return [{ caseName: 'approved-released.before-notifications', workflowId: id }];
    },
  },
];
