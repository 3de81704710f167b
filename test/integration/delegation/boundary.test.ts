import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAbpFromSpec, checkAbpAction, showAbp } from '../../../client/delegation';
import { approveReview, openReview, reviewResult } from '../../../client/delegation-reviews';
import { listProvenance } from '../../../db/provenance-log';
import type { AbpSpecInput } from '../../../domain/abp/schema';
import { cliEnv, runCli } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { principal, unique, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('delegation-boundary');
const call = useApiServer(ctx);

/** Finding 4's ABP: wire_transfer denied, and no runtime validators declared at all. */
function bareSpec(): AbpSpecInput {
  const spec = uniqueSpec();
  return {
    ...spec,
    tools: { allow: spec.tools!.allow, deny: [...spec.tools!.deny, { name: 'wire_transfer', reason: 'money leaves the company' }] },
    runtime: { validators: [] },
  };
}

const wireTransfer = (abpHash: string) => ({
  action_id: unique('wire'),
  agent_id: 'treasury-bot',
  abp_hash: abpHash,
  objective: 'OBJ-002',
  tool: 'wire_transfer',
  data: [],
  role: 'agent',
  irreversible: true,
});

/** Revokes an ABP the only way there is: a review whose approved output is abp_revoke. */
async function revokeThroughReview(abpId: string, reason: string): Promise<void> {
  const rev = await principal(ctx, 'revoker', ['Reviewer']);
  const review = await openReview(ctx, abpId, 'DRT-001', rev);
  await approveReview(ctx, review.reviewId, { principal: rev, outputKind: 'abp_revoke', document: { reason }, reason });
  expect((await reviewResult(ctx, review.reviewId)).state).toBe('applied');
}

describe('built-in enforcement (finding 4)', () => {
  it('blocks a denied irreversible wire_transfer under an ABP that declares no validators: client, HTTP and CLI', async () => {
    const { abp } = await buildAbpFromSpec(ctx, bareSpec());
    expect(abp.runtime.validators).toEqual([]);

    const direct = await checkAbpAction(ctx, abp.abp_id, wireTransfer(abp.hash));
    expect(direct).toMatchObject({ decision: 'blocked', allowed: false });
    expect(direct.results.filter((r) => !r.passed)).toEqual([
      expect.objectContaining({ name: 'authority_envelope_complete', when: 'builtin', detail: expect.stringMatching(/tool wire_transfer denied/) }),
    ]);

    const http = await call('POST', `/api/v1/abps/${abp.abp_id}/actions/check`, wireTransfer(abp.hash));
    expect(http).toMatchObject({ status: 200, body: { decision: 'blocked', allowed: false } });

    const file = join(ctx.config.dataDir, `${unique('wire')}.json`);
    await writeFile(file, JSON.stringify({ ...wireTransfer(abp.hash), objective: 'OBJ-900', tool: 'ats.read' }));
    const cli = await runCli(['action', 'check', abp.abp_id, '--action', file, '--json'], cliEnv(ctx));
    expect(cli.code).toBe(1);
    expect(cli.json).toMatchObject({ decision: 'blocked', allowed: false });
    expect(cli.json.results.filter((r: { passed: boolean }) => !r.passed)).toEqual([
      expect.objectContaining({ name: 'authority_envelope_complete', detail: expect.stringMatching(/objective OBJ-900 denied/) }),
    ]);

    // Inside the envelope the same ABP allows: the built-in checks add nothing else.
    const read = await checkAbpAction(ctx, abp.abp_id, { ...wireTransfer(abp.hash), tool: 'ats.read', irreversible: false });
    expect(read.decision).toBe('allowed');
  });
});

describe('revocation is final (finding 5)', () => {
  it('refuses to build a revoked spec again, naming the revocation, on every surface; a new ABP may take the scope', async () => {
    const spec = uniqueSpec();
    const { abp } = await buildAbpFromSpec(ctx, spec);
    await revokeThroughReview(abp.abp_id, 'credentials leaked');
    const before = (await listProvenance(ctx.pool, { subject: `abp:${abp.abp_id}`, limit: 100 })).length;

    await expect(buildAbpFromSpec(ctx, spec)).rejects.toMatchObject({ kind: 'conflict', message: expect.stringMatching(new RegExp(`${abp.abp_id} was revoked: credentials leaked`)) });
    const http = await call('POST', '/api/v1/abps', spec);
    expect(http.status).toBe(409);
    expect(http.body.error).toMatch(/revoked: credentials leaked.*revocation is final/);
    const file = join(ctx.config.dataDir, `${unique('revoked')}.json`);
    await writeFile(file, JSON.stringify(spec));
    const cli = await runCli(['abp', 'build', file, '--json'], cliEnv(ctx));
    expect(cli.code).toBe(1);
    expect(cli.json.error).toMatch(/revoked: credentials leaked/);

    expect(await showAbp(ctx, abp.abp_id)).toMatchObject({ status: 'revoked', statusReason: 'credentials leaked' });
    expect(await listProvenance(ctx.pool, { subject: `abp:${abp.abp_id}`, limit: 100 })).toHaveLength(before);
    const blocked = await checkAbpAction(ctx, abp.abp_id, { ...wireTransfer(abp.hash), tool: 'ats.read', irreversible: false });
    expect(blocked.results.find((r) => !r.passed)?.name).toBe('abp_not_revoked');

    // A new ABP (a new created_at gives a new id) for the same scope is a fresh start.
    const fresh = await buildAbpFromSpec(ctx, { ...spec, created_at: '2026-03-01T00:00:00Z' });
    expect(fresh.abp.abp_id).not.toBe(abp.abp_id);
    expect((await showAbp(ctx, fresh.abp.abp_id)).status).toBe('active');
    expect((await showAbp(ctx, abp.abp_id)).status).toBe('superseded');
    await expect(buildAbpFromSpec(ctx, spec)).rejects.toThrow(/revoked: credentials leaked/);
  });

  it('refuses to build a superseded spec again: the replacement stays current', async () => {
    const spec = uniqueSpec();
    const { abp } = await buildAbpFromSpec(ctx, spec);
    const rev = await principal(ctx, 'replacer', ['Reviewer']);
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    const replacement = { ...spec, created_at: '2026-04-01T00:00:00Z' };
    await approveReview(ctx, review.reviewId, { principal: rev, outputKind: 'abp_replace', document: replacement, reason: 'fresh start' });
    const next = (await reviewResult(ctx, review.reviewId)).outcome!.next!;
    expect(next.abpId).not.toBe(abp.abp_id);

    await expect(buildAbpFromSpec(ctx, spec)).rejects.toThrow(new RegExp(`${abp.abp_id} was superseded by ${next.abpId}`));
    expect((await call('POST', '/api/v1/abps', spec)).status).toBe(409);
    expect(await showAbp(ctx, next.abpId)).toMatchObject({ status: 'active' });
    expect((await showAbp(ctx, abp.abp_id)).status).toBe('superseded');
  });
});
