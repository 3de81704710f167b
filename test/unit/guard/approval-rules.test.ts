import { describe, expect, it } from 'vitest';
import { approvalRefusal, releaseRefusal, type ApprovalContext } from '../../../domain/guard/proposal-state';

const open: ApprovalContext = {
  state: 'awaiting_approval',
  decision: 'allow',
  proposer: 'carol',
  approvalInFlight: false,
};
const good = { approval_id: 'review-20260513-002', approver: 'dave' };

describe('approval rules (validator side)', () => {
  it('accepts a distinct approver with an approval id', () => {
    expect(approvalRefusal(open, good)).toBeUndefined();
  });
  it.each([
    [
      'a warn decision',
      { ...open, state: 'warned' as const, decision: 'warn' as const },
      good,
      "cannot approve proposal with decision 'warn'",
    ],
    ['self-approval', open, { ...good, approver: 'carol' }, 'the proposer cannot approve their own proposal'],
    ['a missing approval id', open, { approver: 'dave' }, 'approval_id is required'],
    ['a blank approval id', open, { ...good, approval_id: '  ' }, 'approval_id is required'],
    ['a missing approver', open, { approval_id: 'a1' }, 'approver is required'],
    [
      'an approval id with spaces',
      open,
      { ...good, approval_id: 'looks good to me' },
      'approval_id may contain only letters, digits and . _ : @ / + - (no spaces)',
    ],
    ['an approval already recorded', { ...open, state: 'approved' as const }, good, 'proposal is already approved'],
    ['an expired proposal', { ...open, state: 'expired' as const }, good, 'proposal approval window has expired'],
    [
      'a proposal still gating',
      { ...open, state: 'gating' as const, decision: undefined },
      good,
      'proposal is not awaiting approval (state gating)',
    ],
    ['a concurrent approval', { ...open, approvalInFlight: true }, good, 'another approval is being recorded'],
  ])('refuses %s', (_name, ctx, request, message) => {
    expect(approvalRefusal(ctx, request)).toBe(message);
  });
});

describe('release rules', () => {
  it('releases only approved proposals', () => {
    expect(releaseRefusal('approved')).toBeUndefined();
    expect(releaseRefusal('released')).toBeUndefined();
    for (const state of ['gating', 'warned', 'awaiting_approval', 'expired'] as const) {
      expect(releaseRefusal(state)).toBe(`guard-loop proposal is not approved (state ${state})`);
    }
  });
});
