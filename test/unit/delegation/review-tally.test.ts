import { describe, expect, it } from 'vitest';
import { parseReviewOutput, reviewOutputHash } from '../../../domain/delegation/review-output';
import { tallyApprovals, winningOutput, type Approval } from '../../../domain/delegation/review-tally';

const patchA = parseReviewOutput('abp_patch', { tools: { deny: [] } });
const patchB = parseReviewOutput('abp_patch', { tools: { deny: [], allow: [] } });
const approve = (principal: string, output = patchA, outputAuthor = 'alice'): Approval => ({
  principal,
  outputKind: output.kind,
  outputHash: reviewOutputHash(output),
  outputAuthor,
});

describe('review outputs', () => {
  it('hash canonically: the same document in any key order has one hash', () => {
    expect(reviewOutputHash(parseReviewOutput('abp_patch', { b: { y: 1, x: 2 }, a: 1 }))).toBe(
      reviewOutputHash(parseReviewOutput('abp_patch', { a: 1, b: { x: 2, y: 1 } })),
    );
    expect(reviewOutputHash(patchA)).not.toBe(reviewOutputHash(patchB));
    expect(reviewOutputHash(parseReviewOutput('abp_revoke', { reason: 'x' }))).not.toBe(
      reviewOutputHash(parseReviewOutput('abp_patch', { reason: 'x' })),
    );
  });

  it('refuse bad documents naming the field', () => {
    expect(() => parseReviewOutput('abp_patch', { abp_id: 'ABP-00000000' })).toThrow(/abp_id: cannot be patched/);
    expect(() => parseReviewOutput('abp_revoke', { reason: ' ' })).toThrow(/reason/);
    expect(() => parseReviewOutput('abp_replace', { scope: {} })).toThrow(/scope\.contract_id/);
  });
});

describe('approval tally', () => {
  it('threshold 1: one approval decides', () => {
    expect(winningOutput([approve('alice')], 1)?.approvers).toEqual(['alice']);
  });

  it('threshold 2: two principals approving the same output decide', () => {
    expect(winningOutput([approve('alice')], 2)).toBeUndefined();
    expect(winningOutput([approve('alice'), approve('bob')], 2)?.approvers).toEqual(['alice', 'bob']);
  });

  it('only approvals of the same output count together', () => {
    expect(winningOutput([approve('alice', patchA), approve('bob', patchB, 'bob')], 2)).toBeUndefined();
    const tallies = tallyApprovals(
      [approve('alice', patchA), approve('bob', patchB, 'bob'), approve('carol', patchB, 'bob')],
      2,
    );
    expect(tallies.find((t) => t.satisfied)?.outputHash).toBe(reviewOutputHash(patchB));
  });

  it('a principal counts once, and the author alone never satisfies threshold >= 2', () => {
    expect(winningOutput([approve('alice'), approve('alice')], 2)).toBeUndefined();
    expect(tallyApprovals([approve('alice'), approve('alice')], 2)[0]).toMatchObject({
      approvers: ['alice'],
      satisfied: false,
    });
    expect(tallyApprovals([approve('alice')], 1)[0]!.satisfied).toBe(true);
  });

  it('picks the first output to reach the threshold', () => {
    const votes = [approve('a', patchA), approve('b', patchB, 'b'), approve('c', patchB, 'b'), approve('d', patchA)];
    expect(winningOutput(votes, 2)?.outputHash).toBe(reviewOutputHash(patchB));
  });
});
