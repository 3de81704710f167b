import type { WorkflowHandle } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import protos from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it, vi } from 'vitest';
import { approveReview, openReview, reviewResult } from '../../../client/delegation-reviews';
import { OPENING_KNOWS_SUBSCRIBERS } from '../../../workflows/delegation/review-opening-subscribers';
import { patchIds } from '../../support/bundle-with-stand-in';
import { useIntegrationContext } from '../../support/integration';
import { allowEmail } from './abp-fixtures';
import { buildUniqueAbp, historyOnceOpened, principal, uniqueSpec } from './fixtures';

// The client shares the worker's NativeConnection, as in a process of role `all` (worker/main.ts).
const ctx = useIntegrationContext('delegation-review-eager-start', { eagerWorkflowStart: true });

const { EventType } = protos.temporal.api.enums.v1;
const eventTypes = (history: History) => (history.events ?? []).map((e) => EventType[e.eventType ?? 0]);

describe('a review opened where a worker of the same process polls its task queue', () => {
  it('starts eagerly (its first task comes back in the start answer), records the history an ordinary opening does, replays, and applies', async () => {
    const starts = vi.spyOn(ctx.temporal.workflow, 'start');
    const rev = await principal(ctx, 'eager', ['Reviewer']);
    try {
      // Three openings one after another: the worker has a free slot for each (the SDK falls back
      // to an ordinary start only when it has none).
      const opened: { reviewId: string; eagerlyStarted: boolean; abp: Awaited<ReturnType<typeof buildUniqueAbp>> }[] =
        [];
      for (let i = 0; i < 3; i++) {
        const abp = await buildUniqueAbp(ctx, uniqueSpec());
        const before = starts.mock.results.length;
        const { reviewId } = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
        const ours = starts.mock.calls.findIndex((call, k) => k >= before && call[1].workflowId === reviewId);
        const handle = (await starts.mock.results[ours]!.value) as WorkflowHandle & { eagerlyStarted: boolean };
        opened.push({ reviewId, eagerlyStarted: handle.eagerlyStarted, abp });
      }
      expect(opened.filter((o) => o.eagerlyStarted).length).toBeGreaterThan(0);
      const { reviewId, abp } = opened.find((o) => o.eagerlyStarted)!;
      const history = await historyOnceOpened(ctx, reviewId);
      // The same events an ordinary opening records: one task, its marker, the timeout's timer.
      expect(eventTypes(history)).toEqual([
        'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
        'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
        'EVENT_TYPE_WORKFLOW_TASK_STARTED',
        'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
        'EVENT_TYPE_MARKER_RECORDED',
        'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
        'EVENT_TYPE_TIMER_STARTED',
      ]);
      expect(patchIds(history)).toEqual([OPENING_KNOWS_SUBSCRIBERS]);
      await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, reviewId);

      const approved = await approveReview(ctx, reviewId, {
        principal: rev,
        outputKind: 'abp_patch',
        document: allowEmail(abp),
        reason: 'eagerly opened, approved as any',
      });
      expect(approved).toMatchObject({ decided: true });
      expect((await reviewResult(ctx, reviewId)).state).toBe('applied');
    } finally {
      starts.mockRestore();
    }
  });
});
