import { describe, expect, it } from 'vitest';
import { extendSecondsSchema } from '../../../domain/endorsement/endorsement-request';
import { timerSeconds } from '../../../domain/input/timer-duration';
import { MAX_TIMER_SECONDS, timerSecondsIssue } from '../../../domain/input/timer-limits';

// The endorsement workflow checks an extension's seconds without zod (an endorsement run must not
// load it); the boundary's schema (extendSecondsSchema, timerSeconds(1)) is the reference, and the
// workflow's refusal must be its first issue, word for word.

const byZod = (min: number, value: unknown) => {
  const parsed = timerSeconds(min).safeParse(value);
  return parsed.success ? null : parsed.error.issues[0]!.message;
};

const values: [name: string, value: unknown][] = [
  ['one second', 1],
  ['the bound', MAX_TIMER_SECONDS],
  ['a day', 86_400],
  ['zero', 0],
  ['minus zero', -0],
  ['a negative', -5],
  ['a fraction', 1.5],
  ['beyond the bound', MAX_TIMER_SECONDS + 1],
  ['beyond a safe integer', 2 ** 60],
  ['1e21', 1e21],
  ['below a safe integer', -(2 ** 60)],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['a numeric string', '5'],
  ['a word', 'soon'],
  ['null', null],
  ['true', true],
  ['an object', {}],
  ['an array', []],
  ['a bigint', 5n],
];

describe('timerSecondsIssue: the workflow refuses seconds in the words of the boundary schema', () => {
  it.each(values)('%s (minimum 1)', (_, value) => {
    expect(timerSecondsIssue(value)).toBe(byZod(1, value));
  });

  it.each(values)('%s (minimum 0)', (_, value) => {
    expect(timerSecondsIssue(value, 0)).toBe(byZod(0, value));
  });

  it('is the schema an extension is checked with at the boundary', () => {
    expect(extendSecondsSchema.safeParse(0).error?.issues[0]?.message).toBe(timerSecondsIssue(0));
    expect(extendSecondsSchema.safeParse(1).success).toBe(true);
  });
});
