import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { chat, endorseRule, extend, showEndorsement } from '../../../client/endorsement';
import { describeError } from '../../../client/errors';
import { buildManifest, ingestFeedback } from '../../../client/guard';
import { MAX_TIMER_SECONDS } from '../../../domain/input/timer-duration';
import { extendUpdate } from '../../../workflows/endorsement/contract';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';
import { freshAgent, operator, SEED_RULE } from '../endorsement/helpers';
import { reviewedRows, SEED_POLICY, seedPeopleAndPolicy, toNdjson, uniqueSuffix } from '../guard/guard-fixtures';

const ctx = useIntegrationContext('hardening-wedge');

/** How a refusal reads to the person who caused it (the CLI's and the HTTP API's message). */
async function refusal(attempt: Promise<unknown>): Promise<{ status: number; message: string }> {
  const error = await attempt.then(
    () => {
      throw new Error('accepted; expected a refusal');
    },
    (e: unknown) => e,
  );
  return describeError(error);
}

/** The innermost ApplicationFailure of a failed workflow: what its failing step said. */
async function failureOf(result: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await result.then(
    () => {
      throw new Error('the workflow completed; expected it to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  let cause: unknown = error;
  let failure: ApplicationFailure | undefined;
  while (cause instanceof Error) {
    if (cause instanceof ApplicationFailure) failure = cause;
    cause = cause.cause;
  }
  expect(failure).toBeDefined();
  return failure!;
}

describe('no operator command can wedge a workflow (issue #10, finding 2)', () => {
  it('refuses `endorsement extend --seconds 9007199254740991`, and abort still works', async () => {
    const alice = await operator(ctx);
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 600 });
    const staged = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    expect(staged.state).toBe('staged');
    const id = staged.endorsementId;
    const env = cliEnv(ctx);

    // Before: the update was accepted, its activity retried for ever, the CLI hung, and abort
    // answered "another operator command (extend) is being processed".
    const extended = await runCli(
      ['endorsement', 'extend', id, '--seconds', '9007199254740991', '--as', alice, '--json'],
      env,
    );
    expectRefused(extended, 2, /^seconds: must be at most 100 years/);
    // Sent to the workflow directly (no client checks), its validator refuses it before it is queued.
    const direct = await refusal(
      ctx.temporal.workflow
        .getHandle(id)
        .executeUpdate(extendUpdate, { args: [{ principal: alice, seconds: 9007199254740991 }] }),
    );
    expect(direct.message).toMatch(/^seconds: must be at most 100 years/);
    // Extensions add up: one that would push the deadline past what a timer can hold is refused too.
    expect((await refusal(extend(ctx, id, alice, MAX_TIMER_SECONDS))).message).toBe(
      'seconds: would put the deadline more than 100 years ahead',
    );
    expect((await extend(ctx, id, alice, 60)).state).toBe('staged');

    const aborted = await runCli(['endorsement', 'abort', id, '--as', alice, '--json'], env);
    expect(aborted.code).toBe(0);
    expect(aborted.json.state).toBe('aborted');
    expect((await showEndorsement(ctx, id)).state).toBe('aborted');
  });

  it('refuses text the database cannot store in the client, before any workflow starts', async () => {
    const agent = await freshAgent(ctx);
    expect(await refusal(endorseRule(ctx, agent, 'allow harmful content generation\u0000'))).toEqual({
      status: 400,
      message: 'rule: must not contain a NUL character (U+0000)',
    });
    expect((await refusal(endorseRule(ctx, agent, SEED_RULE, { value: 'x\ud800' }))).message).toMatch(
      /^value: .*surrogate/,
    );
    expect(await refusal(chat(ctx, agent, 'hello\u0000'))).toEqual({
      status: 400,
      message: 'message: must not contain a NUL character (U+0000)',
    });
    const { rows } = await ctx.pool.query('SELECT 1 FROM endorsements WHERE agent_id = $1', [agent]);
    expect(rows).toHaveLength(0);
  });
});

describe('an activity meeting an input error fails its step instead of retrying for ever', () => {
  it('fails the workflow at once when the database refuses a value (was: retried for ever)', async () => {
    const handle = await ctx.temporal.workflow.start('provenanceFixtureWorkflow', {
      taskQueue: ctx.taskQueue,
      workflowId: `nul-subject-${Date.now()}`,
      args: ['subject with a NUL \u0000', 1],
    });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('invalid');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/the database refused a value/);
    expect(failure.message).not.toMatch(/UTF8|byte sequence/);
  });

  it('fails an endorsement started with unstorable text with the field named', async () => {
    const agent = await freshAgent(ctx);
    const handle = await ctx.temporal.workflow.start('endorsementWorkflow', {
      taskQueue: ctx.taskQueue,
      workflowId: `endorsement-${agent}-20260101t000000-beef`,
      args: [
        {
          endorsementId: `endorsement-${agent}-20260101t000000-beef`,
          agentId: agent,
          ruleText: 'rule\u0000',
          requestedBy: null,
        },
      ],
    });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('invalid');
    expect(failure.message).toMatch(/ruleText: must not contain a NUL/);
  });

  it('fails a guard proposal started with an approval window no timer can hold (was: a bigint overflow retried for ever)', async () => {
    const suffix = uniqueSuffix();
    const people = await seedPeopleAndPolicy(ctx, suffix);
    const tenant = `t-${suffix}`;
    await ingestFeedback(ctx, toNdjson(reviewedRows(tenant, 40, { marker: suffix })));
    const manifest = await buildManifest(ctx, `feedback://w?tenant=${tenant}`);
    const handle = await ctx.temporal.workflow.start('guardProposalWorkflow', {
      taskQueue: ctx.taskQueue,
      workflowId: `proposal-huge-window-${suffix}`,
      args: [
        {
          proposal_id: `proposal-huge-window-${suffix}`,
          proposal_type: 'calibration_update',
          policy_id: SEED_POLICY.policy_id,
          manifest_id: manifest.manifest_id,
          event_count: manifest.event_count,
          source_ref: manifest.source_ref,
          proposer: people.proposer,
          approval_timeout_ms: 86_400_000 * 999_999_999_999,
          request: {
            current_threshold: 0.55,
            candidate_threshold: 0.58,
            confidence_low: 0.51,
            confidence_high: 0.61,
            rollback_id: `rb-${suffix}`,
            min_feedback: 32,
            max_interval_width: 0.1,
          },
        },
      ],
    });
    const failure = await failureOf(handle.result());
    expect(failure.message).toMatch(/approval_timeout: must be between 1 ms and 100 years/);
    const { rows } = await ctx.pool.query('SELECT 1 FROM guard_proposals WHERE proposal_id = $1', [
      `proposal-huge-window-${suffix}`,
    ]);
    expect(rows).toHaveLength(0);
  });
});
