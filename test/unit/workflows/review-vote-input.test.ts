import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { describeIssues, describeZodError } from '../../../domain/input/field-issues';
import { approveInputSchema, dismissInputSchema } from '../../../workflows/delegation/contract';
import {
  approveInputIssues,
  dismissInputIssues,
  type ApproveInput,
  type DismissInput,
} from '../../../workflows/delegation/review-vote-input';

// The review workflow checks its Update inputs without zod (a review run must not load it); the
// boundary's zod schemas are the reference, and the two must refuse the same inputs in the same words.

const byZod = (schema: z.ZodType, input: unknown) => {
  const parsed = schema.safeParse(input);
  return parsed.success ? 'accepted' : describeZodError(parsed.error);
};
const byWorkflow = (issuesOf: (input: unknown) => ReturnType<typeof approveInputIssues>, input: unknown) => {
  const issues = issuesOf(input);
  return issues.length === 0 ? 'accepted' : describeIssues(issues).join('; ');
};

const hash = `sha256:${'0123456789abcdef'.repeat(4)}`;
const approval = { principal: 'rev', outputKind: 'abp_patch', outputHash: hash, reason: 'ok' };
const dismissal = { principal: 'rev', reason: 'not needed' };

const cases: [name: string, input: unknown][] = [
  ['a well-formed approval', approval],
  ['each output kind', { ...approval, outputKind: 'abp_replace' }],
  ['a revocation', { ...approval, outputKind: 'abp_revoke' }],
  ['extra fields', { ...approval, extra: 1, decision: 'approve' }],
  ['a well-formed dismissal', dismissal],
  ['nothing', {}],
  ['every field wrong', { principal: '', outputKind: 'abp_merge', outputHash: 'md5:1', reason: '  ' }],
  ['an empty principal', { ...approval, principal: '' }],
  ['a principal of spaces (not empty)', { ...approval, principal: ' ' }],
  ['a numeric principal', { ...approval, principal: 7 }],
  ['a null principal', { ...approval, principal: null }],
  ['a reason of whitespace', { ...approval, reason: ' \n\t' }],
  ['a reason that is not a string', { ...approval, reason: ['why'] }],
  ['an output kind in capitals', { ...approval, outputKind: 'ABP_PATCH' }],
  ['an output kind that is no string', { ...approval, outputKind: 1 }],
  ['a hash in capitals', { ...approval, outputHash: hash.toUpperCase() }],
  ['a hash one digit short', { ...approval, outputHash: hash.slice(0, -1) }],
  ['a hash with a trailing newline', { ...approval, outputHash: `${hash}\n` }],
  ['a bare hex hash', { ...approval, outputHash: hash.slice('sha256:'.length) }],
  ['a hash that is no string', { ...approval, outputHash: 42 }],
  ['a string', 'approve'],
  ['a number', 3],
  ['a boolean', false],
  ['an array', [approval]],
  ['null', null],
];

describe("the review workflow's Update validators, next to the contract's zod schemas", () => {
  it.each(cases)('approve: %s', (_name, input) => {
    expect(byWorkflow(approveInputIssues, input)).toBe(byZod(approveInputSchema, input));
  });

  it.each(cases)('dismiss: %s', (_name, input) => {
    expect(byWorkflow(dismissInputIssues, input)).toBe(byZod(dismissInputSchema, input));
  });

  it('accept and refuse what the table says (the comparison above is not vacuous)', () => {
    expect(byWorkflow(approveInputIssues, approval)).toBe('accepted');
    expect(byWorkflow(dismissInputIssues, dismissal)).toBe('accepted');
    expect(byWorkflow(approveInputIssues, { ...approval, outputHash: hash.toUpperCase() })).toBe(
      'outputHash: must look like sha256:<64 hex>',
    );
    expect(byWorkflow(dismissInputIssues, 'no')).toBe('input: Invalid input: expected object, received string');
  });

  it("types the inputs as the schemas' output types", () => {
    const approve: ApproveInput = approveInputSchema.parse(approval);
    const dismiss: DismissInput = dismissInputSchema.parse(dismissal);
    const back: z.infer<typeof approveInputSchema> = approve;
    const backDismiss: z.infer<typeof dismissInputSchema> = dismiss;
    expect([back.outputKind, backDismiss.reason]).toEqual(['abp_patch', 'not needed']);
  });
});
