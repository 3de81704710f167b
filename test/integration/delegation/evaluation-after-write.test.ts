import { describe, expect, it } from 'vitest';
import { checkAbpAction, evaluationResult, ingestEvidence } from '../../../client/delegation';
import { reviews } from '../../../client/delegation-reviews';
import { abpEvaluationWorkflowId } from '../../../client/evaluation-requests';
import { eventually } from '../endorsement/helpers';
import { useIntegrationContext } from '../../support/integration';
import { buildUniqueAbp, sendExternalEmail, unique } from './fixtures';

const ctx = useIntegrationContext('delegation-evaluation-after-write');

const signal = (abpId: string, key: string) =>
  JSON.stringify({
    kind: 'drift_signal',
    abp_id: abpId,
    type: 'fallback',
    severity: 'green',
    fingerprint: { key, version: 1 },
    observed_at: new Date(Date.now() - 60_000).toISOString(),
    signal_id: unique('s'),
  });

describe('evaluation after a write, without the writer waiting', () => {
  it('an intake answers with the ids stored and a request; the coalesced evaluation opens the review and answers the request', async () => {
    const abp = await buildUniqueAbp(ctx);
    // DRT-001 trips at 3 repeats of one fingerprint: three single-row writes, none waiting.
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await ingestEvidence(ctx, signal(abp.abp_id, 'fp-async')));
    for (const a of answers) {
      expect(a).toMatchObject({ driftSignals: { received: 1, stored: 1 }, evaluation: null, evaluationError: null });
      expect(a.evaluationRequests?.[abp.abp_id]).toMatch(/^[0-9a-f-]{36}$/);
    }
    const open = await eventually(
      () => reviews(ctx, { abpId: abp.abp_id, state: 'open' }),
      (r) => r.length > 0,
      60_000,
    );
    expect(open.map((r) => r.reviewId)).toEqual([`${abp.abp_id}.DRT-001.r1`]);
    const last = answers.at(-1)!.evaluationRequests![abp.abp_id]!;
    const result = await eventually(
      () => evaluationResult(ctx, abp.abp_id, last),
      (r) => r !== null,
      60_000,
    );
    expect(result!.tripped).toContain(`${abp.abp_id}/DRT-001`);
    // The review workflow was started by the per-ABP evaluation workflow.
    const review = await eventually(
      async () => (await reviews(ctx, { abpId: abp.abp_id, state: 'open' }))[0]!,
      (r) => r.workflowStarted,
      60_000,
    );
    const parent = (await ctx.temporal.workflow.getHandle(review.reviewId).describe()).parentExecution;
    expect(parent?.workflowId).toBe(abpEvaluationWorkflowId(abp.abp_id));
  });

  it('a burst of writes to one ABP is evaluated by few passes of one workflow, each write answered by one of them', async () => {
    const abp = await buildUniqueAbp(ctx);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => ingestEvidence(ctx, signal(abp.abp_id, `fp-burst-${i}`))),
    );
    const requestIds = new Set(answers.map((a) => a.evaluationRequests![abp.abp_id]!));
    // How many writes ride on one signal depends on how fast they commit (test/unit/client/evaluation-requests.test.ts
    // shows the joining itself); here every request must be answered by a pass of the one workflow.
    for (const id of requestIds) {
      expect(
        await eventually(
          () => evaluationResult(ctx, abp.abp_id, id),
          (r) => r !== null,
          60_000,
        ),
      ).toMatchObject({ opened: [] });
    }
    const history = await ctx.temporal.workflow.getHandle(abpEvaluationWorkflowId(abp.abp_id)).fetchHistory();
    const passes = history.events!.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'evaluateDelegationTriggers',
    );
    expect(passes.length).toBeGreaterThan(0);
    expect(passes.length).toBeLessThanOrEqual(requestIds.size);
  });

  it('a blocked irreversible action is answered before its evaluation, which opens the DRT-002 review', async () => {
    const abp = await buildUniqueAbp(ctx);
    for (let n = 1; n <= 6; n++) {
      const check = await checkAbpAction(ctx, abp.abp_id, sendExternalEmail(abp.hash, n));
      expect(check).toMatchObject({ decision: 'blocked', evaluation: null });
      expect(check.evaluationRequests?.[abp.abp_id]).toBeDefined();
    }
    const open = await eventually(
      () => reviews(ctx, { abpId: abp.abp_id, state: 'open' }),
      (r) => r.length > 0,
      60_000,
    );
    expect(open).toMatchObject([{ triggerId: 'DRT-002', openedBy: 'monitor' }]);
  });
});
