import { beforeAll, describe, expect, it } from 'vitest';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import {
  SEED_POLICY,
  reviewedRows,
  seedPeopleAndPolicy,
  toNdjson,
  uniqueSuffix,
  type GuardPeople,
} from './guard-fixtures';

const ctx = useIntegrationContext('guard-http');
const call = useApiServer(ctx);
const suffix = uniqueSuffix();
const tenant = `http-tenant-${suffix}`;
let people: GuardPeople;

beforeAll(async () => {
  people = await seedPeopleAndPolicy(ctx, `http${suffix}`);
});

describe('guard loop over HTTP', () => {
  it('ingests NDJSON, proposes, refuses early release and a wrong approver, approves, releases and exports the bundle', async () => {
    const ingest = await call(
      'POST',
      '/api/v1/guard/feedback',
      toNdjson(reviewedRows(tenant, 33, { marker: `httptext-${suffix}` })),
      'application/x-ndjson',
    );
    expect(ingest).toMatchObject({ status: 201, body: { rows: 33, inserted: 33 } });

    const policy = await call('POST', '/api/v1/guard/policies', SEED_POLICY);
    expect(policy.status).toBe(200);
    expect(policy.body.created).toBe(false);
    // Creating policies administers Warden: a token without the admin role is refused.
    expect((await call('POST', '/api/v1/guard/policies', { ...SEED_POLICY, as: people.proposer })).status).toBe(403);

    const manifest = await call(
      'GET',
      `/api/v1/guard/manifests?source=${encodeURIComponent(`feedback://recent-reviewed?tenant=${tenant}`)}`,
    );
    expect(manifest.body).toMatchObject({ event_count: 33, source_ref: `feedback://recent-reviewed?tenant=${tenant}` });

    const proposed = await call('POST', '/api/v1/guard/proposals/calibration', {
      policy_id: SEED_POLICY.policy_id,
      source_ref: `feedback://recent-reviewed?tenant=${tenant}`,
      as: people.proposer,
      current_threshold: 0.55,
      candidate_threshold: 0.58,
      confidence_low: 0.51,
      confidence_high: 0.61,
      rollback_id: 'threshold-profile-20260513-a',
    });
    expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
    expect(proposed.body.manifest.manifest_id).toBe(manifest.body.manifest_id);
    const id = proposed.body.proposal_id as string;

    expect(await call('POST', `/api/v1/guard/proposals/${id}/release`)).toMatchObject({
      status: 403,
      body: { error: expect.stringMatching(/not approved/) },
    });
    const wrongRole = await call('POST', `/api/v1/guard/proposals/${id}/approve`, {
      approval_id: `h-${suffix}`,
      as: people.bystander,
    });
    expect(wrongRole.status).toBe(409);
    expect(wrongRole.body.error).toMatch(/does not hold the role safety-lead/);
    const noId = await call('POST', `/api/v1/guard/proposals/${id}/approve`, { as: people.approver });
    expect(noId.status).toBe(400);
    expect(noId.body.issues[0].field).toBe('approval_id');

    expect(
      (await call('POST', `/api/v1/guard/proposals/${id}/approve`, { approval_id: `h-${suffix}`, as: people.approver }))
        .status,
    ).toBe(200);
    // A token without the policy's approver role (or admin) cannot take the payload (finding 7).
    const byViewer = await call('POST', `/api/v1/guard/proposals/${id}/release`, { as: people.bystander });
    expect(byViewer).toMatchObject({
      status: 403,
      body: { error: expect.stringMatching(/may not release .*needs the role safety-lead or admin/) },
    });
    expect(byViewer.body.candidate_threshold).toBeUndefined();
    const released = await call('POST', `/api/v1/guard/proposals/${id}/release`, { as: people.approver });
    expect(released).toMatchObject({ status: 200, body: { candidate_threshold: 0.58, calibration_size: 33 } });
    // Released already: a viewer still gets nothing.
    expect((await call('POST', `/api/v1/guard/proposals/${id}/release`, { as: people.bystander })).status).toBe(403);
    const bundle = await call('GET', `/api/v1/guard/proposals/${id}/bundle`);
    expect(bundle.body).toMatchObject({
      proposal_id: id,
      payload: released.body,
      rollback_id: 'threshold-profile-20260513-a',
      released_by: people.approver,
    });
    const log = await call(
      'GET',
      `/api/v1/provenance?subject=${encodeURIComponent(`proposal:${id}`)}&kind=guard.proposal.released`,
    );
    expect(log.body.entries).toMatchObject([{ actor: people.approver }]);
    const event = await call('GET', `/api/v1/guard/proposals/${id}/safety-event`);
    expect(event.body).toMatchObject({
      schema_version: 'director.safety_event.v1',
      policy_decision: 'allow',
      hook_scope: 'agent',
      tenant_id: tenant,
      request_id: id,
    });
    expect(JSON.stringify([bundle.body, event.body, proposed.body])).not.toContain(`httptext-${suffix}`);
  });

  it('answers bad input with the field it concerns', async () => {
    const bad = await call('POST', '/api/v1/guard/proposals/lora', {
      policy_id: SEED_POLICY.policy_id,
      source_ref: `feedback://recent-reviewed?tenant=${tenant}`,
      as: people.proposer,
      dataset_uri: 'https://user:pw@host/set',
      base_model_ref: 'm',
      heldout_score: 0.9,
      baseline_score: 0.8,
      rollback_id: 'r',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0]).toMatchObject({
      field: 'dataset_uri',
      message: expect.stringMatching(/embedded credentials/),
    });
    const rows = await call('POST', '/api/v1/guard/feedback', '{"prompt":"x"}\n', 'application/x-ndjson');
    expect(rows.status).toBe(400);
    expect(rows.body.error).toMatch(/^line 1: /);
    expect((await call('GET', '/api/v1/guard/proposals/guard-loop-missing')).status).toBe(404);
  });
});
