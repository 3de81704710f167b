import { describe, expect, it } from 'vitest';
import { triggerCountText } from '../../../domain/delegation/trigger-count-text';

describe('a trigger reading as people read it', () => {
  it('says the count, what is counted, the window and the threshold instead of a comparison', () => {
    expect(
      triggerCountText({ kind: 'blocked_actions', current: 3, threshold: 4, comparator: '>', windowDays: 30 }),
    ).toBe('3 blocked in 30d, threshold 4 (trips above it)');
    expect(
      triggerCountText({ kind: 'recurring_fingerprint', current: 1, threshold: 3, comparator: '>=', windowDays: null }),
    ).toBe('1 repeats of one drift fingerprint, threshold 3 (trips when reached)');
    expect(
      triggerCountText({ kind: 'expired_claims', current: 0, threshold: 4, comparator: '>', windowDays: 7 }),
    ).not.toMatch(/[<>]/);
  });
});
