import { WorkflowUpdateFailedError } from '@temporalio/client';
import protos from '@temporalio/proto';
import { describe, expect, it, beforeAll } from 'vitest';
import {
  approve,
  buildManifest,
  ingestFeedback,
  proposalBundle,
  proposeCalibrationUpdate,
  proposeLoraJob,
  release,
  showProposal,
  toSafetyEvent,
} from '../../../client/guard';
import { GuardLoop } from '../../../client/guard-loop';
import { addPrincipal } from '../../../db/access/principals';
import { listProvenance } from '../../../db/provenance/log';
import { WardenKind, WardenState, PolicyId } from '../../../domain/search-attributes';
import { guardProposalWorkflow } from '../../../workflows/guard/proposal';
import {
  approveProposalUpdate,
  proposalPayloadQuery,
  releaseProposalUpdate,
  type ProposalWorkflowInput,
} from '../../../workflows/guard/contract';
import { useIntegrationContext } from '../../support/integration';
import {
  SEED_POLICY,
  reviewedRows,
  seedCalibrationRequest,
  seedPeopleAndPolicy,
  toNdjson,
  uniqueSuffix,
  type GuardPeople,
} from './guard-fixtures';

const ctx = useIntegrationContext('guard-proposal');
const suffix = uniqueSuffix();
const tenant = `acme-${suffix}`;
const marker = `tenant-secret-${suffix}`;
const source = `feedback://recent-reviewed?tenant=${tenant}`;
let people: GuardPeople;

const seedCalibration = () => seedCalibrationRequest(people.proposer, source, 'threshold-profile-20260513-a');

async function expectRefusal(work: Promise<unknown>, message: string | RegExp): Promise<void> {
  await expect(work).rejects.toThrow();
  const error = await work.catch((e: unknown) => e);
  let text = error instanceof Error ? error.message : String(error);
  for (let c: unknown = (error as Error).cause; c instanceof Error; c = c.cause) text += ` | ${c.message}`;
  expect(text).toMatch(message);
}

beforeAll(async () => {
  people = await seedPeopleAndPolicy(ctx, suffix);
  const result = await ingestFeedback(ctx, toNdjson(reviewedRows(tenant, 40, { marker })), people.proposer);
  expect(result).toEqual({ rows: 40, inserted: 40, unchanged: 0 });
});

describe('guard-loop proposals on a real worker', () => {
  it('runs the seed example: allow, approve, release returns 0.58, bundle keeps the audit trail together', async () => {
    const proposal = await proposeCalibrationUpdate(ctx, seedCalibration());
    expect(proposal.proposal_id).toMatch(/^proposal-policy\.self_improving\.regulated-[0-9a-f]{16}$/);
    expect(proposal.state).toBe('awaiting_approval');
    expect(proposal.decision).toMatchObject({
      decision: 'allow',
      reason: 'self_improvement_calibration_ready',
      risk_score: 0.03,
    });
    expect(proposal.manifest).toMatchObject({ event_count: 40, reviewer_ids: ['rev-alice', 'rev-bob', 'rev-chen'] });
    expect(proposal.manifest.label_counts).toEqual({ false_negative: 10, false_positive: 10, safe: 10, unsafe: 10 });

    const handle = ctx.temporal.workflow.getHandle(proposal.proposal_id);
    await expect(handle.query(proposalPayloadQuery)).rejects.toThrow(/not approved/);

    const approval = await approve(ctx, proposal.proposal_id, {
      approval_id: `review-20260513-002-${suffix}`,
      approver: people.approver,
    });
    expect(approval).toMatchObject({
      approval_id: `review-20260513-002-${suffix}`,
      approver: people.approver,
      approver_role: 'safety-lead',
    });
    expect(await handle.query(proposalPayloadQuery)).toMatchObject({ candidate_threshold: 0.58 });

    const payload = await release(ctx, proposal.proposal_id, people.approver);
    expect(payload).toEqual({
      current_threshold: 0.55,
      candidate_threshold: 0.58,
      calibration_size: 40,
      max_interval_width: 0.1,
    });
    const result = await handle.result();
    expect(result).toMatchObject({ state: 'released', payload });
    // Releasing again hands back the same payload from the record, the workflow being done.
    expect(await release(ctx, proposal.proposal_id, people.approver)).toEqual(payload);

    const bundle = await proposalBundle(ctx, proposal.proposal_id);
    expect(bundle).toMatchObject({
      proposal_id: proposal.proposal_id,
      rollback_id: 'threshold-profile-20260513-a',
      payload,
      approval: { approval_id: `review-20260513-002-${suffix}`, approver: people.approver },
      guard_decision: {
        decision: 'allow',
        reason: 'self_improvement_calibration_ready',
        policy_id: SEED_POLICY.policy_id,
      },
      manifest: { manifest_id: proposal.manifest.manifest_id, event_count: 40 },
    });

    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(WardenKind)).toBe('proposal');
    expect(description.typedSearchAttributes.get(WardenState)).toBe('released');
    expect(description.typedSearchAttributes.get(PolicyId)).toBe(SEED_POLICY.policy_id);
    expect(await description.staticSummary()).toContain('0.55 → 0.58');

    // Operators find it in the Temporal UI by the same attributes (visibility is eventually consistent).
    const query = `WardenKind = 'proposal' AND WardenState = 'released' AND PolicyId = '${SEED_POLICY.policy_id}' AND WorkflowId = '${proposal.proposal_id}'`;
    // Polled to a generous deadline: 50 tries 200 ms apart (10 s) could run out on a loaded machine.
    let listed = 0;
    for (const until = Date.now() + 90_000; listed === 0 && Date.now() < until;) {
      for await (const _ of ctx.temporal.workflow.list({ query })) listed += 1;
      if (listed === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(listed).toBe(1);

    const kinds = (await listProvenance(ctx.pool, { subject: `proposal:${proposal.proposal_id}` }))
      .map((e) => e.kind)
      .reverse();
    expect(kinds).toEqual([
      'guard.proposal.created',
      'guard.proposal.decided',
      'guard.proposal.approved',
      'guard.proposal.released',
    ]);
  });

  it("offers the seed's SelfImprovingGuardLoop API as GuardLoop", async () => {
    const loop = new GuardLoop(ctx, { policyId: SEED_POLICY.policy_id, proposer: people.proposer });
    const manifest = await loop.buildManifest({ sourceRef: source });
    expect(manifest.event_count).toBe(40);
    const proposal = await loop.proposeCalibrationUpdate({
      sourceRef: source,
      currentThreshold: 0.55,
      candidateThreshold: 0.58,
      confidenceLow: 0.51,
      confidenceHigh: 0.61,
      rollbackId: 'threshold-profile-guard-loop-api',
    });
    expect(proposal.manifest.manifest_id).toBe(manifest.manifest_id);
    const approved = await loop.approve(proposal, { approvalId: `api-${suffix}`, approver: people.approver });
    expect(approved.state).toBe('approved');
    expect((await loop.release(approved, { releaser: people.approver })).candidate_threshold).toBe(0.58);
    expect(await loop.toSafetyEvent(approved)).toMatchObject({
      policy_decision: 'allow',
      evidence_refs: manifest.event_refs,
    });
  });

  it('gives the same proposal id for the same evidence and request', async () => {
    const first = await proposeCalibrationUpdate(ctx, { ...seedCalibration(), rollback_id: 'rb-idempotent' });
    const again = await proposeCalibrationUpdate(ctx, {
      ...seedCalibration(),
      rollback_id: 'rb-idempotent',
      source_ref: `feedback://other-name?tenant=${tenant}`,
    });
    expect(again.proposal_id).toBe(first.proposal_id);
    const different = await proposeCalibrationUpdate(ctx, {
      ...seedCalibration(),
      rollback_id: 'rb-idempotent',
      candidate_threshold: 0.57,
    });
    expect(different.proposal_id).not.toBe(first.proposal_id);
  });

  it('warns on insufficient feedback (risk 1.0) and the warned proposal cannot be approved', async () => {
    const proposal = await proposeCalibrationUpdate(ctx, {
      ...seedCalibration(),
      source_ref: `${source}&until=2026-05-13T08:31:00Z`,
      rollback_id: 'rb-short',
    });
    expect(proposal.manifest.event_count).toBe(31);
    expect(proposal.state).toBe('warned');
    expect(proposal.decision).toMatchObject({
      decision: 'warn',
      reason: 'self_improvement_insufficient_feedback',
      risk_score: 1,
    });
    expect(await ctx.temporal.workflow.getHandle(proposal.proposal_id).result()).toMatchObject({ state: 'warned' });
    await expectRefusal(
      approve(ctx, proposal.proposal_id, { approval_id: `a-warn-${suffix}`, approver: people.approver }),
      /cannot approve proposal with decision 'warn'/,
    );
    await expectRefusal(release(ctx, proposal.proposal_id, people.approver), /not approved/);
    expect((await toSafetyEvent(ctx, proposal.proposal_id)).policy_decision).toBe('warn');
  });

  it('warns when the confidence interval is too wide (risk = width)', async () => {
    const proposal = await proposeCalibrationUpdate(ctx, {
      ...seedCalibration(),
      confidence_low: 0.4,
      confidence_high: 0.65,
      rollback_id: 'rb-wide',
    });
    expect(proposal.decision).toMatchObject({
      decision: 'warn',
      reason: 'self_improvement_interval_too_wide',
      risk_score: 0.25,
    });
  });

  it('gates LoRA proposals: insufficient feedback and held-out regression warn, improvement is allowed; nothing is submitted', async () => {
    const lora = {
      policy_id: SEED_POLICY.policy_id,
      source_ref: source,
      proposer: people.proposer,
      dataset_uri: 's3://bucket/set',
      base_model_ref: 'guard-base-v3',
    };
    const regressed = await proposeLoraJob(ctx, {
      ...lora,
      heldout_score: 0.85,
      baseline_score: 0.88,
      rollback_id: 'lora-rb-1',
    });
    expect(regressed.decision).toMatchObject({
      decision: 'warn',
      reason: 'self_improvement_heldout_regression',
      risk_score: 0.03,
    });
    const short = await proposeLoraJob(ctx, {
      ...lora,
      source_ref: `${source}&until=2026-05-13T08:10:00Z`,
      heldout_score: 0.5,
      baseline_score: 0.88,
      rollback_id: 'lora-rb-0',
    });
    expect(short.manifest.event_count).toBe(10);
    expect(short.decision).toMatchObject({
      decision: 'warn',
      reason: 'self_improvement_insufficient_feedback',
      risk_score: 1,
    });
    const ready = await proposeLoraJob(ctx, {
      ...lora,
      heldout_score: 0.91,
      baseline_score: 0.88,
      rollback_id: 'lora-rb-2',
    });
    expect(ready.decision).toMatchObject({
      decision: 'allow',
      reason: 'self_improvement_training_ready',
      risk_score: 0.09,
    });
    await approve(ctx, ready.proposal_id, { approval_id: `lora-approval-${suffix}`, approver: people.approver });
    expect(await release(ctx, ready.proposal_id, people.approver)).toEqual({
      dataset_uri: 's3://bucket/set',
      base_model_ref: 'guard-base-v3',
      heldout_score: 0.91,
      baseline_score: 0.88,
      min_improvement: 0,
    });
  });

  it('refuses release before approval, self-approval, a wrong role, an unknown approver and a missing approval id', async () => {
    const proposal = await proposeCalibrationUpdate(ctx, { ...seedCalibration(), rollback_id: 'rb-refusals' });
    const handle = ctx.temporal.workflow.getHandle(proposal.proposal_id);
    await expectRefusal(release(ctx, proposal.proposal_id, people.approver), /not approved/);
    await expectRefusal(
      handle.executeUpdate(releaseProposalUpdate, { args: [{ releaser: people.approver }] }),
      /guard-loop proposal is not approved \(state awaiting_approval\)/,
    );
    await expectRefusal(
      approve(ctx, proposal.proposal_id, { approval_id: `self-${suffix}`, approver: people.proposer }),
      /the proposer cannot approve their own proposal/,
    );
    await expectRefusal(
      approve(ctx, proposal.proposal_id, { approval_id: `role-${suffix}`, approver: people.bystander }),
      new RegExp(`${people.bystander} does not hold the role safety-lead`),
    );
    await expectRefusal(
      approve(ctx, proposal.proposal_id, { approval_id: `ghost-${suffix}`, approver: `ghost-${suffix}` }),
      /unknown principal/,
    );
    await expectRefusal(
      handle.executeUpdate(approveProposalUpdate, { args: [{ approval_id: '', approver: people.approver }] }),
      /approval_id is required/,
    );
    const error = await approve(ctx, proposal.proposal_id, {
      approval_id: `role2-${suffix}`,
      approver: people.bystander,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((await showProposal(ctx, proposal.proposal_id)).state).toBe('awaiting_approval');
    // After every refusal the rightful approver still can.
    await approve(ctx, proposal.proposal_id, { approval_id: `ok-${suffix}`, approver: people.approver });
    expect((await showProposal(ctx, proposal.proposal_id)).state).toBe('approved');
    await expectRefusal(
      approve(ctx, proposal.proposal_id, { approval_id: `twice-${suffix}`, approver: people.approver }),
      /already approved/,
    );
    // Releasing needs the policy's approver role (or admin): refused by the client and by the
    // workflow's activity alike, and a refusal records nothing.
    await expectRefusal(
      release(ctx, proposal.proposal_id, people.bystander),
      new RegExp(`${people.bystander} may not release proposal ${proposal.proposal_id}`),
    );
    await expectRefusal(
      handle.executeUpdate(releaseProposalUpdate, { args: [{ releaser: people.bystander }] }),
      /needs the role safety-lead or admin/,
    );
    await expectRefusal(
      handle.executeUpdate(releaseProposalUpdate, { args: [undefined as never] }),
      /needs the releasing principal/,
    );
    expect((await showProposal(ctx, proposal.proposal_id)).state).toBe('approved');
    expect(
      await listProvenance(ctx.pool, { subject: `proposal:${proposal.proposal_id}`, kind: 'guard.proposal.released' }),
    ).toEqual([]);
    await release(ctx, proposal.proposal_id, people.approver);
    expect(
      await listProvenance(ctx.pool, { subject: `proposal:${proposal.proposal_id}`, kind: 'guard.proposal.released' }),
    ).toMatchObject([{ actor: people.approver }]);
  });

  it('refuses an unknown policy, an unknown proposer, a malformed source ref and an empty selection before starting anything', async () => {
    await expectRefusal(
      proposeCalibrationUpdate(ctx, { ...seedCalibration(), policy_id: `policy.none.${suffix}` }),
      /policy policy\.none\..* not found/,
    );
    await expectRefusal(
      proposeCalibrationUpdate(ctx, { ...seedCalibration(), proposer: `nobody-${suffix}` }),
      /unknown principal/,
    );
    await expectRefusal(
      proposeCalibrationUpdate(ctx, { ...seedCalibration(), source_ref: `${source}&tenants=x` }),
      /unknown parameter "tenants"/,
    );
    await expectRefusal(
      proposeCalibrationUpdate(ctx, {
        ...seedCalibration(),
        source_ref: `feedback://recent-reviewed?tenant=nobody-${suffix}`,
      }),
      /no reviewed feedback matches/,
    );
  });

  it('lets exactly one of two concurrent approvals land', async () => {
    const second = `frank-${suffix}`;
    await addPrincipal(ctx.pool, second, ['safety-lead']);
    const proposal = await proposeCalibrationUpdate(ctx, { ...seedCalibration(), rollback_id: 'rb-race' });
    const outcomes = await Promise.allSettled([
      approve(ctx, proposal.proposal_id, { approval_id: `race-a-${suffix}`, approver: people.approver }),
      approve(ctx, proposal.proposal_id, { approval_id: `race-b-${suffix}`, approver: second }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const stored = await ctx.pool.query('SELECT count(*)::int AS n FROM guard_approvals WHERE proposal_id = $1', [
      proposal.proposal_id,
    ]);
    expect(stored.rows[0].n).toBe(1);
  });

  it('keeps waiting for approval across a worker restart', async () => {
    const proposal = await proposeCalibrationUpdate(ctx, { ...seedCalibration(), rollback_id: 'rb-restart' });
    await ctx.stopWorker();
    await ctx.startWorker();
    await approve(ctx, proposal.proposal_id, { approval_id: `restart-${suffix}`, approver: people.approver });
    expect(await release(ctx, proposal.proposal_id, people.approver)).toMatchObject({ candidate_threshold: 0.58 });
  });

  it('fails a workflow started around the client with an out-of-range request instead of gating it', async () => {
    const handle = await ctx.temporal.workflow.start(guardProposalWorkflow, {
      workflowId: `guard-invalid-${suffix}`,
      taskQueue: ctx.taskQueue,
      args: [
        {
          proposal_id: `guard-invalid-${suffix}`,
          proposal_type: 'calibration_update',
          policy_id: SEED_POLICY.policy_id,
          manifest_id: 'reviewed-feedback-none',
          event_count: 40,
          source_ref: source,
          request: { ...seedCalibration(), current_threshold: 1.5, min_feedback: 32, max_interval_width: 0.1 },
          proposer: people.proposer,
          approval_timeout_ms: 60_000,
        } as unknown as ProposalWorkflowInput,
      ],
    });
    await expectRefusal(handle.result(), /current_threshold: current_threshold must be finite and in \[0, 1\]/);
    const stored = await ctx.pool.query('SELECT 1 FROM guard_proposals WHERE proposal_id = $1', [
      `guard-invalid-${suffix}`,
    ]);
    expect(stored.rowCount).toBe(0);
  });

  it.each([
    's3://AKEY:SECRET-VALUE-1@bucket/set',
    'https://user@datasets.example.com/set.jsonl',
    'https://b.s3.amazonaws.com/set?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=SECRET-VALUE-2',
    'https://acct.blob.core.windows.net/c/set?sv=2022-11-02&sig=SECRET-VALUE-3',
    'https://storage.googleapis.com/b/set?X-Goog-Signature=SECRET-VALUE-4',
    'https://host/set?token=SECRET-VALUE-5',
    'https://host/set?api_key=SECRET-VALUE-6',
    'https://host/set?password=SECRET-VALUE-7',
    'https://host/set#access_token=SECRET-VALUE-8',
    's3://bucket/AKIAIOSFODNN7EXAMPLE/set',
  ])('refuses dataset URI %s before any work starts', async (uri) => {
    const rollback = `rb-cred-${uniqueSuffix()}`;
    const error = await proposeLoraJob(ctx, {
      policy_id: SEED_POLICY.policy_id,
      source_ref: source,
      proposer: people.proposer,
      dataset_uri: uri,
      base_model_ref: 'guard-base-v3',
      heldout_score: 0.91,
      baseline_score: 0.88,
      rollback_id: rollback,
    }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/dataset_uri must not contain embedded credentials/);
    expect(String((error as Error).message)).not.toMatch(/SECRET-VALUE/);
    const stored = await ctx.pool.query('SELECT 1 FROM guard_proposals WHERE rollback_id = $1', [rollback]);
    expect(stored.rowCount).toBe(0);
  });

  it('refuses a batch with a row lacking reviewer_id, naming the line, and writes nothing', async () => {
    const other = `globex-${suffix}`;
    const rows = reviewedRows(other, 5, { marker });
    delete (rows[2]!.metadata as Partial<(typeof rows)[number]['metadata']>).reviewer_id;
    await expectRefusal(ingestFeedback(ctx, toNdjson(rows)), /^line 3: metadata\.reviewer_id/);
    const stored = await ctx.pool.query('SELECT count(*)::int AS n FROM guard_feedback_events WHERE tenant_id = $1', [
      other,
    ]);
    expect(stored.rows[0].n).toBe(0);
  });

  it('treats a repeated event as idempotent and a changed one as a conflict that writes nothing', async () => {
    const other = `initech-${suffix}`;
    const rows = reviewedRows(other, 4, { marker });
    expect(await ingestFeedback(ctx, toNdjson(rows))).toEqual({ rows: 4, inserted: 4, unchanged: 0 });
    const more = reviewedRows(other, 6, { marker });
    expect(await ingestFeedback(ctx, toNdjson(more))).toEqual({ rows: 6, inserted: 2, unchanged: 4 });
    const changed = [
      ...reviewedRows(`${other}-x`, 2, { marker }),
      { ...rows[1]!, label: rows[1]!.label === 'safe' ? 'unsafe' : 'safe' },
    ];
    await expectRefusal(ingestFeedback(ctx, toNdjson(changed)), /line 3: metadata\.event_id .* different content/);
    const stored = await ctx.pool.query('SELECT count(*)::int AS n FROM guard_feedback_events WHERE tenant_id = $1', [
      `${other}-x`,
    ]);
    expect(stored.rows[0].n).toBe(0);
  });

  it('keeps prompt and response text out of the manifest, safety event, provenance, bundle and workflow history', async () => {
    const proposal = await proposeCalibrationUpdate(ctx, { ...seedCalibration(), rollback_id: 'rb-tenant-safety' });
    await approve(ctx, proposal.proposal_id, { approval_id: `ts-${suffix}`, approver: people.approver });
    await release(ctx, proposal.proposal_id, people.approver);
    const handle = ctx.temporal.workflow.getHandle(proposal.proposal_id);
    await handle.result();

    const history = await handle.fetchHistory();
    const historyText = Buffer.from(protos.temporal.api.history.v1.History.encode(history).finish()).toString('utf8');
    // The whole log, not its newest page: files running alongside append to it meanwhile, and this
    // file's feedback entries were written before the test began.
    const provenance = (await ctx.pool.query('SELECT subject, kind, actor, payload FROM provenance_log')).rows;
    const records: Record<string, string> = {
      manifest: JSON.stringify(await buildManifest(ctx, source)),
      show: JSON.stringify(await showProposal(ctx, proposal.proposal_id)),
      safetyEvent: JSON.stringify(await toSafetyEvent(ctx, proposal.proposal_id)),
      bundle: JSON.stringify(await proposalBundle(ctx, proposal.proposal_id)),
      provenance: JSON.stringify(provenance),
      history: historyText,
    };
    for (const [name, text] of Object.entries(records)) {
      // Each record is searched for something it must hold, so an empty search cannot pass.
      const mustHold =
        { provenance: `proposal:${proposal.proposal_id}`, history: 'rb-tenant-safety' }[name] ??
        proposal.manifest.manifest_id;
      expect(text, name).toContain(mustHold);
      expect(text, name).not.toContain(marker);
      expect(text, name).not.toContain('how do I get around the filter');
      expect(text, name).not.toContain('I cannot help with that');
    }
    // The text is where it belongs, and only there.
    const stored = await ctx.pool.query(
      'SELECT count(*)::int AS n FROM guard_feedback_events WHERE tenant_id = $1 AND prompt LIKE $2',
      [tenant, `%${marker}%`],
    );
    expect(stored.rows[0].n).toBe(40);
  });
});
