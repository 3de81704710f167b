import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';
import { calibrationArgs, policyCreateArgs, reviewedRows, toNdjson, uniqueSuffix } from './guard-fixtures';
import { testAdmin } from '../../support/principals';

const ctx = useIntegrationContext('guard-cli');
const suffix = uniqueSuffix();

describe('guard loop from the CLI', () => {
  it('runs the seed example as a user would and prints the released payload and the audit bundle', async () => {
    const env = cliEnv(ctx);
    const carol = `carol-cli-${suffix}`;
    const dave = `dave-cli-${suffix}`;
    const file = join(ctx.config.dataDir, 'reviewed.ndjson');
    await writeFile(file, toNdjson(reviewedRows(`cli-tenant-${suffix}`, 32, { marker: `clitext-${suffix}` })));

    const admin = await testAdmin(ctx);
    expect((await runCli(['principal', 'add', carol, '--role', 'ml-engineer', '--as', admin], env)).code).toBe(0);
    expect((await runCli(['principal', 'add', dave, '--role', 'safety-lead', '--as', admin], env)).code).toBe(0);
    const ingest = await runCli(['feedback', 'ingest', file, '--json'], env);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.json).toMatchObject({ rows: 32, unchanged: 0 });

    const policy = await runCli([...policyCreateArgs('policy.self_improving.regulated'), '--as', admin, '--json'], env);
    expect(policy.code, policy.stdout + policy.stderr).toBe(0);
    expect(policy.json.policy).toMatchObject({
      policy_id: 'policy.self_improving.regulated',
      approver_role: 'safety-lead',
    });

    const proposed = await runCli(
      [...calibrationArgs('feedback://recent-reviewed', 'threshold-profile-20260513-a'), '--as', carol, '--json'],
      env,
    );
    expect(proposed.code, proposed.stdout + proposed.stderr).toBe(0);
    expect(proposed.json).toMatchObject({
      state: 'awaiting_approval',
      decision: { decision: 'allow', reason: 'self_improvement_calibration_ready' },
    });
    expect(proposed.json.manifest.event_count).toBeGreaterThanOrEqual(32);
    const id: string = proposed.json.proposal_id;

    const early = await runCli(['proposal', 'release', id, '--as', dave, '--json'], env);
    expectRefused(early, 1, /not approved/);

    const self = await runCli(
      ['proposal', 'approve', id, '--approval-id', `review-20260513-002-${suffix}`, '--as', carol, '--json'],
      env,
    );
    expectRefused(self, 1, /proposer cannot approve/);

    const approved = await runCli(
      ['proposal', 'approve', id, '--approval-id', `review-20260513-002-${suffix}`, '--as', dave, '--json'],
      env,
    );
    expect(approved.code, approved.stdout + approved.stderr).toBe(0);
    expect(approved.json).toMatchObject({ approver: dave, approver_role: 'safety-lead' });

    // Releasing hands the payload over: the policy's approver role (or admin), not any principal.
    const byProposer = await runCli(['proposal', 'release', id, '--as', carol, '--json'], env);
    expectRefused(
      byProposer,
      1,
      new RegExp(`${carol} may not release proposal ${id}: that needs the role safety-lead or admin`),
    );
    const released = await runCli(['proposal', 'release', id, '--as', dave, '--json'], env);
    expect(released.code).toBe(0);
    expect(released.json).toMatchObject({ current_threshold: 0.55, candidate_threshold: 0.58 });

    const bundle = await runCli(['proposal', 'bundle', id, '--json'], env);
    expect(bundle.code).toBe(0);
    expect(bundle.json).toMatchObject({
      proposal_id: id,
      rollback_id: 'threshold-profile-20260513-a',
      payload: released.json,
      approval: { approval_id: `review-20260513-002-${suffix}` },
      guard_decision: { decision: 'allow' },
      released_by: dave,
    });
    const log = await runCli(['provenance', 'list', '--subject', `proposal:${id}`, '--json'], env);
    expect(log.json.find((e: { kind: string }) => e.kind === 'guard.proposal.released')).toMatchObject({ actor: dave });

    const shown = await runCli(['proposal', 'show', id], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/state\s+released/);
    expect(shown.stdout).toMatch(/gate max_interval_width\s+pass/);
    expect(shown.stdout).not.toContain(`clitext-${suffix}`);
    // Eleven CLI processes; on two busy cores each start can take seconds.
  }, 300_000);

  it('refuses a batch with a row missing reviewer_id, and a credential-carrying dataset URI, with usage errors', async () => {
    const env = cliEnv(ctx);
    const rows = reviewedRows(`cli-bad-${suffix}`, 3, { marker: 'bad' });
    delete (rows[1]!.metadata as { reviewer_id?: string }).reviewer_id;
    const file = join(ctx.config.dataDir, 'bad.ndjson');
    await writeFile(file, toNdjson(rows));
    const ingest = await runCli(['feedback', 'ingest', file, '--json'], env);
    expectRefused(ingest, 2, /^line 2: metadata\.reviewer_id/);

    const piped = await runCli(
      ['feedback', 'ingest', '-', '--json'],
      env,
      toNdjson(reviewedRows(`cli-stdin-${suffix}`, 2, { marker: 'stdin' })),
    );
    expect(piped.code, piped.stdout + piped.stderr).toBe(0);
    expect(piped.json).toMatchObject({ rows: 2, inserted: 2 });

    const lora = await runCli(
      [
        'proposal',
        'lora',
        '--policy',
        'policy.self_improving.regulated',
        '--source',
        'feedback://recent-reviewed',
        '--dataset-uri',
        'https://bucket.example/set?X-Amz-Signature=SHOULD-NOT-ECHO',
        '--base-model-ref',
        'guard-base-v3',
        '--heldout',
        '0.91',
        '--baseline',
        '0.88',
        '--rollback-id',
        'rb',
        '--as',
        `nobody-${suffix}`,
        '--json',
      ],
      env,
    );
    expectRefused(
      lora,
      2,
      /dataset_uri: dataset_uri must not contain embedded credentials \(parameter "X-Amz-Signature"\)/,
    );
    expect(lora.stdout).not.toContain('SHOULD-NOT-ECHO');

    const notNumber = await runCli(
      [
        'proposal',
        'calibration',
        '--policy',
        'p',
        '--source',
        'feedback://x',
        '--current',
        'abc',
        '--candidate',
        '0.5',
        '--ci-low',
        '0.4',
        '--ci-high',
        '0.5',
        '--rollback-id',
        'r',
      ],
      env,
    );
    expect(notNumber.code).toBe(2);
  }, 300_000);
});
