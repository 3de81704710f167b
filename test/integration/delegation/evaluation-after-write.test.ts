import { describe, expect, it } from 'vitest';
import { checkAbpAction, evaluationResult, ingestEvidence, runDelegationEvaluation } from '../../../client/delegation';
import { reviews } from '../../../client/delegation-reviews';
import { abpEvaluationWorkflowId, EvaluationRequests } from '../../../client/evaluation-requests';
import { storeIntakeBatch } from '../../../db/delegation/intake';
import { parseIntakeBatch } from '../../../domain/delegation/intake';
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

/** Stores one row without asking for its evaluation (the test asks through a requester of its own). */
const store = (row: string) => storeIntakeBatch(ctx, parseIntakeBatch(row), null);

/** An interval the test ends by hand: `pass` ends the wait under way, or the next one when none is. */
function heldInterval() {
  const waiting: (() => void)[] = [];
  let passed = 0;
  return {
    wait: () =>
      new Promise<void>((resolve) => {
        if (passed > 0) {
          passed--;
          resolve();
        } else waiting.push(resolve);
      }),
    pass: () => {
      if (waiting.length === 0) passed++;
      waiting.splice(0).forEach((resolve) => resolve());
    },
  };
}

/** The evaluation passes (activities) and the requests (signals) in the ABP's evaluation workflow so far. */
async function evaluationHistory(abpId: string) {
  const history = await ctx.temporal.workflow
    .getHandle(abpEvaluationWorkflowId(abpId))
    .fetchHistory()
    .catch((error: unknown) => {
      // gRPC NOT_FOUND: the signal-with-start has not reached Temporal yet.
      if ((error as { code?: unknown }).code === 5) return { events: [] };
      throw error;
    });
  const events = history.events ?? [];
  return {
    passes: events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'evaluateDelegationTriggers',
    ).length,
    signals: events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'evaluationRequested')
      .length,
  };
}

const resultOf = (abpId: string, requestId: string) =>
  eventually(
    () => evaluationResult(ctx, abpId, requestId),
    (r) => r !== null,
    60_000,
  );

describe('evaluations coalesced across writes (one signal per ABP per interval)', () => {
  it('writes within the interval after a signal share one evaluation, which sees them all and opens the review', async () => {
    const abp = await buildUniqueAbp(ctx);
    const interval = heldInterval();
    const requests = new EvaluationRequests(ctx, { intervalMs: 60_000, wait: interval.wait });
    await store(signal(abp.abp_id, 'fp-coalesced'));
    const first = requests.request([abp.abp_id])[abp.abp_id]!;
    // The first write is signalled at once; its pass saw one repeat of three, so nothing tripped.
    expect((await resultOf(abp.abp_id, first))!.tripped).not.toContain(`${abp.abp_id}/DRT-001`);
    // The next writes land within the interval: they ride on one request, not signalled yet.
    const later: string[] = [];
    for (let i = 0; i < 4; i++) {
      await store(signal(abp.abp_id, i < 2 ? 'fp-coalesced' : `fp-other-${i}`));
      later.push(requests.request([abp.abp_id])[abp.abp_id]!);
    }
    expect(new Set(later).size).toBe(1);
    expect(later[0]).not.toBe(first);
    expect(await evaluationHistory(abp.abp_id)).toEqual({ passes: 1, signals: 1 });
    interval.pass();
    // One pass answers the four writes, and it saw both repeats that landed within the interval.
    expect((await resultOf(abp.abp_id, later[0]!))!.tripped).toContain(`${abp.abp_id}/DRT-001`);
    expect(await evaluationHistory(abp.abp_id)).toEqual({ passes: 2, signals: 2 });
    const open = await eventually(
      () => reviews(ctx, { abpId: abp.abp_id, state: 'open' }),
      (r) => r.length > 0,
      60_000,
    );
    expect(open.map((r) => r.reviewId)).toEqual([`${abp.abp_id}.DRT-001.r1`]);
    interval.pass();
  });

  it('a write that lands once an evaluation has started is evaluated again after it', async () => {
    const abp = await buildUniqueAbp(ctx);
    const interval = heldInterval();
    const requests = new EvaluationRequests(ctx, { intervalMs: 60_000, wait: interval.wait });
    for (let i = 0; i < 2; i++) await store(signal(abp.abp_id, 'fp-during'));
    const first = requests.request([abp.abp_id])[abp.abp_id]!;
    // Its pass has been scheduled (it may be reading the evidence right now) when the third repeat lands.
    await eventually(
      () => evaluationHistory(abp.abp_id),
      (h) => h.passes === 1,
      60_000,
    );
    await store(signal(abp.abp_id, 'fp-during'));
    const during = requests.request([abp.abp_id])[abp.abp_id]!;
    expect(during).not.toBe(first);
    interval.pass();
    // Whichever pass tripped DRT-001, the write's own request is answered by a pass after it, and the review opens.
    expect(await resultOf(abp.abp_id, during)).not.toBeNull();
    expect(await evaluationHistory(abp.abp_id)).toMatchObject({ passes: 2 });
    const open = await eventually(
      () => reviews(ctx, { abpId: abp.abp_id, state: 'open' }),
      (r) => r.length > 0,
      60_000,
    );
    expect(open.map((r) => r.triggerId)).toEqual(['DRT-001']);
    interval.pass();
  });
  it('a write whose signal never went out (its process died after storing) is evaluated by the monitor pass', async () => {
    const abp = await buildUniqueAbp(ctx);
    // Three repeats stored, no evaluation asked: what a process killed within the interval leaves.
    for (let i = 0; i < 3; i++) await store(signal(abp.abp_id, 'fp-lost-signal'));
    // The monitor Schedule (ensured at every start, worker/main.ts) runs this workflow every 5 minutes.
    const pass = await runDelegationEvaluation(ctx, [abp.abp_id], { waitMs: 60_000 });
    expect(pass.tripped).toContain(`${abp.abp_id}/DRT-001`);
    expect((await reviews(ctx, { abpId: abp.abp_id, state: 'open' })).map((r) => r.triggerId)).toEqual(['DRT-001']);
  });
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
    // The per-ABP evaluation stored the review without its workflow (its deadline is days away).
    expect(result!.started).toEqual([]);
    expect(open[0]).toMatchObject({ openedBy: 'monitor', workflowStarted: false });
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
