import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { nonRetryableFailure, withInputFailuresNonRetryable } from '../../../activities/input-failures';
import { UnknownPrincipalError } from '../../../db/access/principals';
import { conflict, WardenError } from '../../../domain/errors';

const pgError = (code: string, message = 'database says no') => Object.assign(new Error(message), { code });

describe('activity errors that retrying cannot fix', () => {
  it('become non-retryable failures typed by their kind, with a message that names the problem', () => {
    const zod = nonRetryableFailure(z.object({ seconds: z.int() }).safeParse({ seconds: 1.5 }).error);
    expect(zod).toMatchObject({ nonRetryable: true, type: 'invalid', message: expect.stringMatching(/^seconds: /) });
    expect(nonRetryableFailure(conflict('already open'))).toMatchObject({ nonRetryable: true, type: 'conflict' });
    expect(nonRetryableFailure(new UnknownPrincipalError('mallory'))).toMatchObject({
      nonRetryable: true,
      type: 'forbidden',
    });
    // A value PostgreSQL refuses (here: NUL in text) fails at once, without the server's message.
    const nul = nonRetryableFailure(pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'));
    expect(nul).toMatchObject({ nonRetryable: true, type: 'invalid' });
    expect(nul!.message).not.toContain('UTF8');
    expect(nonRetryableFailure(pgError('22003'))).toMatchObject({ nonRetryable: true, type: 'invalid' });
    expect(nonRetryableFailure(new RangeError('Invalid time value'))).toMatchObject({
      nonRetryable: true,
      type: 'invalid',
    });
  });

  it('leaves outages, races and bugs to the retry policy', () => {
    expect(nonRetryableFailure(new WardenError('unavailable', 'model down'))).toBeUndefined();
    expect(nonRetryableFailure(pgError('08006'))).toBeUndefined();
    expect(nonRetryableFailure(pgError('23505'))).toBeUndefined();
    expect(
      nonRetryableFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBeUndefined();
    expect(nonRetryableFailure(new TypeError('x is undefined'))).toBeUndefined();
    const already = ApplicationFailure.nonRetryable('kept as it is', 'GuardRefusal');
    expect(nonRetryableFailure(already)).toBeUndefined();
  });

  it('wraps every activity of a registry', async () => {
    const acts = withInputFailuresNonRetryable({
      async ok(n: number) {
        return n + 1;
      },
      async bad() {
        throw pgError('22P05');
      },
    });
    expect(await acts.ok(1)).toBe(2);
    await expect(acts.bad()).rejects.toMatchObject({ nonRetryable: true, type: 'invalid' });
  });
});
