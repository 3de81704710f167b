import { describe, expect, it } from 'vitest';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { eventually } from '../endorsement/helpers';
import { principal, sendExternalEmail, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('delegation-http');
const call = useApiServer(ctx);

describe('the delegation loop over HTTP', () => {
  it('builds, checks, ingests, opens, approves and verifies', async () => {
    const rev = await principal(ctx, 'http-rev', ['Reviewer']);
    expect((await call('GET', '/api/v1/abps/schema')).body.title).toBe('Authority Boundary Primitive v1');
    const built = await call('POST', '/api/v1/abps', uniqueSpec());
    expect(built.status).toBe(201);
    const { abp_id: abpId, hash } = built.body.abp;
    expect((await call('POST', '/api/v1/abps', { ...uniqueSpec(), objectives: { allowed: 'all' } })).status).toBe(400);
    // Setting an ABP is an administrator's act; a reviewer's token is refused.
    expect((await call('POST', '/api/v1/abps', { ...uniqueSpec(), as: rev })).status).toBe(403);

    const check = await call('POST', `/api/v1/abps/${abpId}/actions/check?wait=evaluation`, sendExternalEmail(hash, 1));
    expect(check).toMatchObject({ status: 200, body: { decision: 'blocked', evaluation: { opened: [] } } });

    const rows = [1, 2, 3].map((n) =>
      JSON.stringify({
        abp_id: abpId,
        type: 'verify',
        severity: 'red',
        fingerprint: { key: 'fp-http', version: 'v1' },
        observed_at: new Date(Date.now() - n * 60_000).toISOString(),
      }),
    );
    const ingest = await call(
      'POST',
      '/api/v1/evidence?kind=drift_signal&wait=evaluation',
      rows.join('\n'),
      'application/x-ndjson',
    );
    expect(ingest).toMatchObject({
      status: 200,
      body: { driftSignals: { stored: 3 }, evaluation: { opened: [`${abpId}.DRT-001.r1`] } },
    });
    const badIngest = await call(
      'POST',
      '/api/v1/evidence?kind=drift_signal',
      `${rows[0]}\n{"abp_id":"${abpId}"}`,
      'application/x-ndjson',
    );
    expect(badIngest.status).toBe(400);
    expect(badIngest.body.error).toMatch(/line 2: type:/);

    const cards = await call('GET', `/api/v1/abps/${abpId}/triggers`);
    expect(cards.body.cards.find((c: { triggerId: string }) => c.triggerId === 'DRT-001')).toMatchObject({
      state: 'tripped',
    });
    const open = await call('GET', `/api/v1/reviews?state=open&abp=${abpId}`);
    expect(open.body.reviews).toMatchObject([{ reviewId: `${abpId}.DRT-001.r1` }]);
    const reviewId = open.body.reviews[0].reviewId;

    const wrong = await call('POST', `/api/v1/reviews/${reviewId}/approve`, {
      as: 'nobody',
      output_kind: 'abp_revoke',
      reason: 'x',
    });
    expect(wrong.status).toBe(403);
    const patch = {
      objectives: { allowed: uniqueSpec().objectives!.allowed.slice(0, 3), denied: uniqueSpec().objectives!.denied },
    };
    const approved = await call('POST', `/api/v1/reviews/${reviewId}/approve`, {
      as: rev,
      output_kind: 'abp_patch',
      document: patch,
      reason: 'narrow',
    });
    expect(approved).toMatchObject({ status: 200, body: { decided: true } });
    await ctx.temporal.workflow.getHandle(reviewId).result();
    const shown = await call('GET', `/api/v1/reviews/${reviewId}`);
    expect(shown.body).toMatchObject({ state: 'applied', votes: [{ principal: rev }] });
    const verified = await call('GET', `/api/v1/abps/${abpId}/verify`);
    expect(verified).toMatchObject({ status: 200, body: { ok: true } });
    expect(verified.body.abpHash).not.toBe(hash);

    const manual = await call('POST', '/api/v1/reviews', { abp_id: abpId, trigger_id: 'DRT-004', as: rev });
    expect(manual.status).toBe(201);
    const dismissed = await call('POST', `/api/v1/reviews/${manual.body.reviewId}/dismiss`, {
      as: rev,
      reason: 'fine',
    });
    expect(dismissed).toMatchObject({ status: 200, body: { decided: true } });
    expect((await call('GET', `/api/v1/abps/ABP-00000000`)).status).toBe(404);
  });

  it('answers a write at once with its evaluation request, whose result the caller fetches separately', async () => {
    const built = await call('POST', '/api/v1/abps', uniqueSpec());
    const abpId: string = built.body.abp.abp_id;
    // Three writes of one fingerprint (DRT-001 trips at three), each answered before any evaluation.
    const requests: string[] = [];
    for (const n of [1, 2, 3]) {
      const row = JSON.stringify({
        abp_id: abpId,
        type: 'verify',
        severity: 'red',
        fingerprint: { key: 'fp-http-later', version: 'v1' },
        observed_at: new Date(Date.now() - n * 60_000).toISOString(),
      });
      const ingest = await call('POST', '/api/v1/evidence?kind=drift_signal', row, 'application/x-ndjson');
      expect(ingest).toMatchObject({ status: 200, body: { driftSignals: { stored: 1 }, evaluation: null } });
      requests.push(ingest.body.evaluationRequests[abpId]);
    }
    const last = await eventually(
      () => call('GET', `/api/v1/abps/${abpId}/evaluations/${requests.at(-1)}`),
      (r) => r.status === 200,
      60_000,
    );
    expect(last.body.evaluation.tripped).toContain(`${abpId}/DRT-001`);
    expect((await call('GET', `/api/v1/abps/${abpId}/evaluations/no-such-request`)).status).toBe(404);
  });
});
