import { describe, expect, it } from 'vitest';
import { approveReview, openReview } from '../../../client/delegation-reviews';
import { endorseRule } from '../../../client/endorsement';
import { ingestFeedback, proposeCalibrationUpdate } from '../../../client/guard';
import { inbox } from '../../../client/inbox';
import { cliEnv, runCli } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { allowEmail } from '../delegation/abp-fixtures';
import { buildUniqueAbp, principal, uniqueSpec } from '../delegation/fixtures';
import { freshAgent, SEED_RULE } from '../endorsement/helpers';
import {
  reviewedRows,
  seedCalibrationRequest,
  seedPeopleAndPolicy,
  toNdjson,
  uniqueSuffix,
} from '../guard/guard-fixtures';

const ctx = useIntegrationContext('operator-inbox');
const http = useApiServer(ctx);

function thresholdTwoSpec() {
  const spec = uniqueSpec();
  const review = spec.delegation_review!;
  return { ...spec, delegation_review: { ...review, review_policy: { ...review.review_policy, threshold: 2 } } };
}

const ids = (box: { items: { id: string }[] }) => box.items.map((i) => i.id);

describe('the inbox: what waits on me', () => {
  it('lists an open review for each holder of its approver role until they vote, with its deadline', async () => {
    const [ann, ben, outsider] = await Promise.all([
      principal(ctx, 'ann', ['Reviewer']),
      principal(ctx, 'ben', ['Reviewer']),
      principal(ctx, 'out', ['auditor']),
    ]);
    const abp = await buildUniqueAbp(ctx, thresholdTwoSpec());
    const review = await openReview(ctx, abp.abp_id, 'DRT-003', ann);

    const before = await inbox(ctx, ann);
    const item = before.items.find((i) => i.id === review.reviewId);
    expect(item).toMatchObject({ kind: 'review', state: 'open', action: 'approve or dismiss' });
    expect(item!.summary).toContain('0/2 approvals');
    expect(Date.parse(item!.deadline!)).toBe(Date.parse(review.openedAt!) + review.policy.timeout_ms!);
    expect(ids(await inbox(ctx, outsider))).not.toContain(review.reviewId);

    await approveReview(ctx, review.reviewId, {
      principal: ann,
      outputKind: 'abp_patch',
      document: allowEmail(abp),
      reason: 'needed',
    });
    const after = await inbox(ctx, ann);
    expect(ids(after)).not.toContain(review.reviewId);
    // Other files open reviews for the same role meanwhile: the counts are checked against the items, not before/after.
    expect(after.counts.review).toBe(after.items.filter((i) => i.kind === 'review').length);
    expect(before.counts.total).toBe(before.items.length);
    const forBen = (await inbox(ctx, ben)).items.find((i) => i.id === review.reviewId);
    expect(forBen?.summary).toContain('1/2 approvals');

    // Over HTTP, for the token's own principal.
    const res = await http('GET', `/api/v1/inbox?as=${ben}`);
    expect(res.status).toBe(200);
    expect(res.body.principal).toBe(ben);
    expect(res.body.items.map((i: { id: string }) => i.id)).toContain(review.reviewId);
  });

  it('lists a proposal for its approver but not its proposer, and a pending endorsement for the operator role', async () => {
    const suffix = uniqueSuffix();
    const people = await seedPeopleAndPolicy(ctx, suffix);
    const tenant = `inbox-${suffix}`;
    await ingestFeedback(ctx, toNdjson(reviewedRows(tenant, 40, { marker: suffix })), people.proposer);
    const proposal = await proposeCalibrationUpdate(
      ctx,
      seedCalibrationRequest(people.proposer, `feedback://recent-reviewed?tenant=${tenant}`, `rb-${suffix}`),
    );
    expect(proposal.state).toBe('awaiting_approval');
    const forApprover = (await inbox(ctx, people.approver)).items.find((i) => i.id === proposal.proposal_id);
    expect(forApprover).toMatchObject({ kind: 'proposal', action: 'approve', deadline: proposal.approval_deadline });
    expect(ids(await inbox(ctx, people.proposer))).not.toContain(proposal.proposal_id);
    expect(ids(await inbox(ctx, people.bystander))).not.toContain(proposal.proposal_id);

    const op = await principal(ctx, 'op', ['operator']);
    const agent = await freshAgent(ctx);
    const pending = await endorseRule(ctx, agent, SEED_RULE, { requestedBy: op });
    expect(pending.state).toBe('pending');
    const item = (await inbox(ctx, op)).items.find((i) => i.id === pending.endorsementId);
    expect(item).toMatchObject({ kind: 'endorsement', state: 'pending', action: 'decide: approve, stage or reject' });
    expect(item!.deadline).not.toBeNull();
    expect(ids(await inbox(ctx, people.approver))).not.toContain(pending.endorsementId);
  });

  it('warden inbox and the list commands answer with --json and filters', async () => {
    const ann = await principal(ctx, 'cli-ann', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const review = await openReview(ctx, abp.abp_id, 'DRT-001', ann);
    const env = cliEnv(ctx);

    const box = await runCli(['inbox', '--as', ann, '--json'], env);
    expect(box.code).toBe(0);
    expect(box.json.items.map((i: { id: string }) => i.id)).toContain(review.reviewId);
    const text = await runCli(['inbox', '--as', ann], env);
    expect(text.stdout).toMatch(new RegExp(`${review.reviewId}\\s+open: approve or dismiss`));

    const listed = await runCli(['review', 'list', '--abp', abp.abp_id, '--state', 'open', '--json'], env);
    expect(listed.json.map((r: { reviewId: string }) => r.reviewId)).toEqual([review.reviewId]);

    const agent = await freshAgent(ctx);
    await endorseRule(ctx, agent, SEED_RULE, { requestedBy: await principal(ctx, 'cli-op', ['operator']) });
    const agents = await runCli(['agent', 'list', '--json'], env);
    expect(agents.json.find((a: { id: string }) => a.id === agent)).toMatchObject({
      kernelVersion: 1,
      operatorRole: 'operator',
    });
    const open = await runCli(['endorsement', 'list', '--agent', agent, '--state', 'open', '--json'], env);
    expect(open.json.map((e: { state: string }) => e.state)).toEqual(['pending']);
    const none = await runCli(['endorsement', 'list', '--agent', agent, '--state', 'promoted', '--json'], env);
    expect(none.json).toEqual([]);
    const bad = await runCli(['endorsement', 'list', '--state', 'sideways'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--state: expected one of/);

    const proposals = await runCli(['proposal', 'list', '--policy', 'no-such-policy', '--json'], env);
    expect(proposals.code).toBe(0);
    expect(proposals.json).toEqual([]);
    const badState = await runCli(['proposal', 'list', '--state', 'sideways'], env);
    expect(badState.code).toBe(2);
  });
});
