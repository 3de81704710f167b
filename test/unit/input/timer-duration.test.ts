import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { settingsOverridesSchema } from '../../../domain/endorsement/settings';
import { extendSecondsSchema } from '../../../domain/endorsement/endorsement-request';
import { listLimit } from '../../../domain/input/list-limit';
import {
  deadlineTooFar,
  MAX_SET_TIMEOUT_MS,
  MAX_TIMER_MS,
  MAX_TIMER_SECONDS,
  timerDuration,
  waitMilliseconds,
} from '../../../domain/input/timer-duration';

const issues = (r: z.ZodSafeParseResult<unknown>) =>
  r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('durations and counts within what Temporal timers and PostgreSQL columns accept', () => {
  it('parses durations as people write them, within 1 ms to 100 years', () => {
    expect(timerDuration().parse('7 days')).toBe(7 * 24 * 3600 * 1000);
    expect(timerDuration().parse('36h')).toBe(36 * 3600 * 1000);
    // The guard loop's finding: this passed and overflowed a bigint in an activity retried for ever.
    expect(timerDuration().safeParse('999999999999d').error?.issues[0]?.message).toMatch(/at most 100 years/);
    expect(timerDuration().safeParse('0s').success).toBe(false);
    expect(timerDuration().safeParse('soon').success).toBe(false);
    expect(timerDuration().parse(MAX_TIMER_MS)).toBe(MAX_TIMER_MS);
  });

  it('bounds an extension and every cooldown setting by the same timer limit', () => {
    expect(extendSecondsSchema.safeParse(9007199254740991).success).toBe(false);
    expect(extendSecondsSchema.safeParse(MAX_TIMER_SECONDS).success).toBe(true);
    expect(extendSecondsSchema.safeParse(0).success).toBe(false);
    expect(issues(settingsOverridesSchema.safeParse({ cooldownMaxSeconds: 1e12 }))).toEqual([
      expect.stringMatching(/^cooldownMaxSeconds: must be at most 100 years/),
    ]);
    expect(issues(settingsOverridesSchema.safeParse({ minSamples: 2 ** 31 }))).toEqual([
      expect.stringMatching(/^minSamples: must be at most 2147483647/),
    ]);
    expect(deadlineTooFar(MAX_TIMER_MS + 1, 0)).toMatch(/100 years/);
    expect(deadlineTooFar(MAX_TIMER_MS, 0)).toBeUndefined();
  });

  it('keeps in-process waits within what setTimeout can count', () => {
    expect(waitMilliseconds().safeParse(MAX_SET_TIMEOUT_MS).success).toBe(true);
    // Node fires a longer timeout at once (TimeoutOverflowWarning): a wait would end immediately.
    expect(waitMilliseconds().safeParse(MAX_SET_TIMEOUT_MS + 1).success).toBe(false);
    expect(waitMilliseconds().safeParse(-1).success).toBe(false);
  });

  it('refuses unknown settings instead of dropping them', () => {
    expect(issues(settingsOverridesSchema.safeParse({ cooldownBase: 10 }))).toEqual([
      ': Unrecognized key: "cooldownBase"',
    ]);
    expect(settingsOverridesSchema.safeParse({ thresholds: { l4: 0.9 } }).success).toBe(false);
  });

  it('takes list limits from text and refuses negative ones', () => {
    const limit = z.object({ limit: listLimit(50) });
    expect(limit.parse({}).limit).toBe(50);
    expect(limit.parse({ limit: '7' }).limit).toBe(7);
    expect(issues(limit.safeParse({ limit: '-5' }))).toEqual(['limit: at least 1']);
    expect(limit.safeParse({ limit: 'x' }).success).toBe(false);
  });
});
