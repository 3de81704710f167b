import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeError, workflowRefusal } from '../../../client/errors';
import { UnknownPrincipalError } from '../../../db/access/principals';
import { WardenError } from '../../../domain/errors';
import { describeIssues, describeZodError, fieldIssues } from '../../../domain/input/field-issues';
import { EARLIER_FAILURE_TYPES, failure, failureKind, failureOf } from '../../../domain/temporal/failure-types';
import { innermostCause, innermostFailure, innermostMessage } from '../../../domain/temporal/innermost-cause';

const activityFailed = (cause: Error) =>
  new ActivityFailure('activity task failed', 'recordReviewVote', '3', RetryState.NON_RETRYABLE_FAILURE, 'w', cause);
const updateFailed = (cause: Error) => new WorkflowUpdateFailedError('Workflow Update failed', cause);

describe('one failure vocabulary across the Temporal boundary', () => {
  it('types failures by WardenError kind: non-retryable, except a service being unavailable', () => {
    expect(failure('conflict', 'review R is no longer open')).toMatchObject({
      type: 'conflict',
      nonRetryable: true,
      message: 'review R is no longer open',
    });
    expect(failure('unavailable', 'receiver answered 500')).toMatchObject({ type: 'unavailable', nonRetryable: false });
    expect(failure('unavailable', 'receiver answered 410', { nonRetryable: true, benign: true })).toMatchObject({
      nonRetryable: true,
      category: 'BENIGN',
    });
    expect(failureOf(new WardenError('invalid', 'the output would not apply: x', ['x']))).toMatchObject({
      type: 'invalid',
      details: [['x']],
    });
  });

  it('still understands the type names earlier releases left in histories in flight', () => {
    expect(failureKind('ReviewVoteRefused')).toBe('conflict');
    expect(failureKind('ReviewVoteForbidden')).toBe('forbidden');
    expect(failureKind('ReviewOutputInvalid')).toBe('invalid');
    expect(failureKind('GuardRefusal')).toBe('conflict');
    expect(failureKind('GuardInvalidRequest')).toBe('invalid');
    expect(failureKind('EvidenceRuleNotMet')).toBe('conflict');
    expect(failureKind('WebhookDeliveryFailed')).toBe('unavailable');
    for (const kind of ['invalid', 'not_found', 'conflict', 'forbidden', 'unavailable'] as const)
      expect(failureKind(kind)).toBe(kind);
    expect(failureKind('Error')).toBeUndefined();
    expect(failureKind(undefined)).toBeUndefined();
    expect(Object.keys(EARLIER_FAILURE_TYPES)).toHaveLength(7);
  });

  it("answers a workflow's refusal with the status of its kind, whichever release named it", () => {
    const refused = (type: string) => describeError(updateFailed(ApplicationFailure.nonRetryable('why', type)));
    expect(refused('forbidden')).toEqual({ status: 403, message: 'why' });
    expect(refused('ReviewVoteForbidden')).toEqual({ status: 403, message: 'why' });
    expect(refused('invalid')).toEqual({ status: 400, message: 'why' });
    expect(refused('ReviewOutputInvalid')).toEqual({ status: 400, message: 'why' });
    expect(refused('GuardRefusal')).toEqual({ status: 409, message: 'why' });
    expect(refused('not_found')).toEqual({ status: 404, message: 'why' });
    // The workflow answered, so nothing it says is a 503; a type outside the vocabulary is a conflict with its state.
    expect(refused('unavailable')).toEqual({ status: 409, message: 'why' });
    expect(refused('Error')).toEqual({ status: 409, message: 'why' });
    // A workflow that failed on an activity's refusal answers with that refusal.
    const failed = new WorkflowFailedError(
      'Workflow execution failed',
      activityFailed(ApplicationFailure.nonRetryable('seconds: too far', 'invalid')),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    expect(describeError(failed)).toEqual({ status: 400, message: 'seconds: too far' });
    expect(
      workflowRefusal(updateFailed(ApplicationFailure.nonRetryable('no', 'ReviewOutputInvalid', ['p']))),
    ).toMatchObject({ kind: 'invalid', details: ['p'] });
    expect(workflowRefusal(new WorkflowUpdateFailedError('Workflow Update failed', undefined))).toMatchObject({
      kind: 'conflict',
      message: 'Workflow Update failed',
    });
  });

  it('makes an unknown principal a forbidden WardenError, with no special case', () => {
    const error = new UnknownPrincipalError('mallory');
    expect(error).toBeInstanceOf(WardenError);
    expect(error.kind).toBe('forbidden');
    expect(describeError(error)).toMatchObject({
      status: 403,
      message: expect.stringMatching(/unknown principal "mallory"/),
    });
  });
});

describe('one unwrapping helper', () => {
  it('looks under the wrappers that only say where something failed, down to what said why', () => {
    const why = ApplicationFailure.nonRetryable('does not hold the approver role', 'forbidden');
    expect(innermostCause(activityFailed(why))).toBe(why);
    expect(innermostCause(updateFailed(activityFailed(why)))).toBe(why);
    expect(innermostFailure(updateFailed(why))).toBe(why);
    expect(innermostMessage(activityFailed(why))).toBe('does not hold the approver role');
    // Temporal's own failures are answers too: the search stops there.
    const timeout = new TimeoutFailure('activity timed out', undefined, TimeoutType.START_TO_CLOSE);
    expect(innermostCause(activityFailed(timeout))).toBe(timeout);
    expect(innermostFailure(activityFailed(timeout))).toBeUndefined();
    const withCause = ApplicationFailure.create({ message: 'outer', type: 'conflict', cause: new Error('inner') });
    expect(innermostCause(withCause)).toBe(withCause);
    expect(innermostMessage('a string')).toBe('a string');
  });
});

describe('one description of a refused input', () => {
  it("names each field as people write it, the whole input by the caller's word", () => {
    const parsed = z
      .object({ scope: z.object({ modules: z.array(z.string()) }), rule: z.string() })
      .safeParse({ scope: { modules: [1] } });
    expect(parsed.success).toBe(false);
    expect(describeZodError(parsed.error!)).toBe(
      'scope.modules[0]: Invalid input: expected string, received number; rule: Invalid input: expected string, received undefined',
    );
    expect(fieldIssues(z.string().safeParse(1).error!.issues, { whole: '(body)' })).toEqual([
      { field: '(body)', message: 'Invalid input: expected string, received number' },
    ]);
    expect(describeIssues([{ path: ['window', 1], message: 'required' }], { prefix: 'conditions' })).toEqual([
      'conditions.window[1]: required',
    ]);
    expect(describeIssues([{ path: [], message: 'too large' }], { whole: '(document)' })).toEqual([
      '(document): too large',
    ]);
  });
});
