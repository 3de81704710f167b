import { describe, expect, it } from 'vitest';
import { buildAbp } from '../../../domain/delegation/build';
import { demoAbpSpec } from '../../../demo/delegation-abp';
import { AbpSpecError } from '../../../domain/delegation/errors';
import { parseReviewOutput } from '../../../domain/delegation/review-output';
import { refusalOf } from './refusal';

const CLOCK = '2026-05-01T00:00:00Z';
const problems = (spec: unknown) => refusalOf(AbpSpecError, () => buildAbp(spec, CLOCK)).problems;

describe('ABP limits that storage, exports and review timers impose', () => {
  it('refuses a module, objective or config string PostgreSQL cannot store', () => {
    const spec = demoAbpSpec();
    expect(problems({ ...spec, scope: { ...spec.scope, modules: ['ok', 'bad\u0000'] } })).toContainEqual(
      expect.stringMatching(/^scope\.modules\[1\]: must not contain a NUL/),
    );
    const objectives = { ...spec.objectives, allowed: [{ id: 'OBJ-X', description: 'half \ud83d' }] };
    expect(problems({ ...spec, objectives })).toContainEqual(
      expect.stringMatching(/^objectives\.allowed\[0\]\.description: .*surrogate/),
    );
    expect(problems({ ...spec, scope: { ...spec.scope, modules: ['m'.repeat(101)] } })).toContainEqual(
      expect.stringMatching(/^scope\.modules\[0\]: at most 100 characters/),
    );
  });

  it('refuses review timeouts no timer can wait and windows no SQL interval can hold', () => {
    const spec = demoAbpSpec();
    const review = spec.delegation_review!;
    const huge = {
      ...spec,
      delegation_review: { ...review, review_policy: { ...review.review_policy, timeout_ms: 9007199254740991 } },
    };
    expect(problems(huge)).toContainEqual(
      expect.stringMatching(/^delegation_review\.review_policy\.timeout_ms: must be null or between 1 and/),
    );
    const negative = {
      ...spec,
      delegation_review: { ...review, review_policy: { ...review.review_policy, timeout_ms: -1 } },
    };
    expect(problems(negative)).toContainEqual(expect.stringMatching(/timeout_ms/));
    const runtime = {
      validators: [
        { name: 'drift_threshold', when: 'periodic', fail_action: 'escalate', config: { max_ds: 6, window_days: 1.5 } },
      ],
    };
    expect(problems({ ...spec, runtime })).toContainEqual(
      expect.stringMatching(/^runtime\.validators\[0\]\.config\.window_days/),
    );
    expect(() => buildAbp(spec, CLOCK)).not.toThrow();
  });

  it('refuses review outputs that could not be stored, whatever their kind', () => {
    expect(
      refusalOf(AbpSpecError, () => parseReviewOutput('abp_patch', { objectives: { note: 'x\u0000' } })).problems,
    ).toEqual([expect.stringMatching(/^objectives\.note: must not contain a NUL/)]);
    expect(refusalOf(AbpSpecError, () => parseReviewOutput('abp_revoke', { reason: 'r\ud800' })).problems[0]).toMatch(
      /surrogate/,
    );
  });
});
