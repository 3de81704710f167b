import { describe, expect, it } from 'vitest';
import type { ApprovalReading } from '../../../db/delegation/approval-reading';
import type { ApplyOutcome } from '../../../domain/delegation/apply-outcome';
import { voteAndApply } from '../../../activities/delegation/vote-and-apply';

const reading = { review: undefined, principal: undefined, output: undefined, current: undefined, exports: [] };
const input = {
  vote: { reviewId: 'rev_1', principal: 'ann', decision: 'approve' as const, outputHash: 'h', reason: 'ok' },
  apply: { reviewId: 'rev_1', outputHash: 'h', approvers: ['ann'], round: 1 },
};
const accepted = { outputKind: 'abp_patch' as const, outputAuthor: 'ann' };

describe('voteAndApply', () => {
  it('applies from the reading the vote was checked on', async () => {
    const seen: ApprovalReading[] = [];
    const outcome = { state: 'applied' } as ApplyOutcome;
    const step = await voteAndApply(
      () => Promise.resolve({ accepted, read: reading }),
      (_apply, read) => (seen.push(read), Promise.resolve(outcome)),
      input,
    );
    expect(step).toEqual({ vote: accepted, outcome });
    expect(seen).toEqual([reading]);
  });

  it('a refused vote is the step failure, and nothing is applied', async () => {
    let applied = 0;
    await expect(
      voteAndApply(
        () => Promise.reject(new Error('ann does not hold the approver role')),
        () => ((applied += 1), Promise.resolve({ state: 'applied' } as ApplyOutcome)),
        input,
      ),
    ).rejects.toThrow(/approver role/);
    expect(applied).toBe(0);
  });

  it('an apply that throws after the vote was recorded leaves the apply to the workflow (outcome null)', async () => {
    const step = await voteAndApply(
      () => Promise.resolve({ accepted, read: reading }),
      () => Promise.reject(new Error('ABP changed while the review was applied')),
      input,
    );
    expect(step).toEqual({ vote: accepted, outcome: null });
  });
});
