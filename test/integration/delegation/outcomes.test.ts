import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAbpAction, clearDegradedAgent, reportActionOutcome, triggerCards } from '../../../client/delegation';
import { demoAbpSpec } from '../../../demo/delegation-abp';
import type { AbpSpecInput, FailAction, RuntimeValidator } from '../../../domain/delegation/schema';
import { cliEnv, runCli } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { buildUniqueAbp, principal, unique } from './fixtures';

const ctx = useIntegrationContext('delegation-outcomes');
const call = useApiServer(ctx);

const preValidators = (demoAbpSpec().runtime?.validators ?? []) as RuntimeValidator[];
/** A unique ABP declaring one post_action validator (besides the demo's own validators). */
function withPost(
  name: string,
  failAction: FailAction,
  config: Record<string, unknown> = {},
  over: Partial<AbpSpecInput> = {},
) {
  return buildUniqueAbp(ctx, {
    runtime: { validators: [...preValidators, { name, when: 'post_action', fail_action: failAction, config }] },
    ...over,
  });
}

/** An allowed irreversible action of the demo ABP (ats.read on a candidate). */
const readCandidate = (abpHash: string, agent = 'recruiter-bot') => ({
  action_id: unique('read'),
  agent_id: agent,
  abp_hash: abpHash,
  objective: 'OBJ-004',
  tool: 'ats.read',
  data: [{ resource: 'candidates/42', operation: 'read' as const }],
  role: 'agent',
  irreversible: true,
});
const asDone = { status: 'succeeded', touched: [{ resource: 'candidates/42', operation: 'read' }] };
const touchedMore = {
  status: 'succeeded',
  touched: [
    { resource: 'candidates/42', operation: 'read' },
    { resource: 'candidates/43', operation: 'read' },
  ],
};

async function allowedCheck(abpId: string, hash: string, agent?: string) {
  const check = await checkAbpAction(ctx, abpId, readCandidate(hash, agent));
  expect(check.decision).toBe('allowed');
  return check.checkId;
}

const drt002 = async (abpId: string) =>
  (await triggerCards(ctx, abpId)).find((c) => c.triggerId === 'DRT-002')!.current;

describe('post_action validators on reported outcomes', () => {
  it('block: a post-action violation, counted toward DRT-002 when the action was irreversible', async () => {
    const abp = await withPost('outcome_matches_check', 'block');
    const checkId = await allowedCheck(abp.abp_id, abp.hash);
    expect(await drt002(abp.abp_id)).toBe(0);
    const r = await reportActionOutcome(ctx, abp.abp_id, checkId, touchedMore);
    expect(r).toMatchObject({ decision: 'blocked', allowed: false, irreversible: true, degradedAgent: null });
    expect(r.results[0]).toMatchObject({ name: 'outcome_matches_check', when: 'post_action', passed: false });
    expect(await drt002(abp.abp_id)).toBe(1);
    // Reversible: recorded, not counted.
    const reversible = await checkAbpAction(ctx, abp.abp_id, { ...readCandidate(abp.hash), irreversible: false });
    expect((await reportActionOutcome(ctx, abp.abp_id, reversible.checkId, touchedMore)).decision).toBe('blocked');
    expect(await drt002(abp.abp_id)).toBe(1);
    // An outcome as checked passes.
    expect(
      (await reportActionOutcome(ctx, abp.abp_id, await allowedCheck(abp.abp_id, abp.hash), asDone)).decision,
    ).toBe('allowed');
  });

  it('warn: recorded, nothing else follows', async () => {
    const abp = await withPost('outcome_succeeded', 'warn');
    const checkId = await allowedCheck(abp.abp_id, abp.hash);
    const r = await reportActionOutcome(ctx, abp.abp_id, checkId, { status: 'failed' });
    expect(r).toMatchObject({ decision: 'warned', allowed: true, escalations: [], degradedAgent: null });
    const { rows } = await ctx.pool.query('SELECT decision FROM abp_action_outcomes WHERE check_id = $1', [checkId]);
    expect(rows).toEqual([{ decision: 'warned' }]);
    expect(await drt002(abp.abp_id)).toBe(0);
    expect((await checkAbpAction(ctx, abp.abp_id, readCandidate(abp.hash))).decision).toBe('allowed');
  });

  it("escalate: the ABP's escalation paths fire and are recorded", async () => {
    const abp = await withPost(
      'cost_within_limit',
      'escalate',
      { max_cost: 10 },
      {
        escalation: {
          paths: [{ trigger: 'cost_within_limit', destination: 'finance-desk', severity: 'critical', auto: true }],
        },
      },
    );
    const checkId = await allowedCheck(abp.abp_id, abp.hash);
    const r = await reportActionOutcome(ctx, abp.abp_id, checkId, { ...asDone, cost: 12.5 });
    expect(r).toMatchObject({
      decision: 'escalated',
      escalations: [{ validator: 'cost_within_limit', destination: 'finance-desk', severity: 'critical' }],
    });
    const { rows } = await ctx.pool.query(
      'SELECT source, destination, reference FROM delegation_escalations WHERE abp_id = $1',
      [abp.abp_id],
    );
    expect(rows).toEqual([{ source: 'post_action', destination: 'finance-desk', reference: `${checkId}/outcome` }]);
  });

  it('degrade: the agent is blocked under the ABP until an operator clears it', async () => {
    const abp = await withPost('outcome_succeeded', 'degrade');
    const agent = unique('agent');
    const checkId = await allowedCheck(abp.abp_id, abp.hash, agent);
    const r = await reportActionOutcome(ctx, abp.abp_id, checkId, { status: 'failed' });
    expect(r).toMatchObject({ decision: 'degraded', degradedAgent: agent });
    const next = await checkAbpAction(ctx, abp.abp_id, readCandidate(abp.hash, agent));
    expect(next.decision).toBe('blocked');
    expect(next.results.filter((x) => !x.passed).map((x) => x.name)).toEqual(['agent_not_degraded']);
    // Another agent is not held back.
    await allowedCheck(abp.abp_id, abp.hash, unique('other'));
    const reviewer = await principal(ctx, 'rev', ['Reviewer']);
    await expect(
      clearDegradedAgent(ctx, abp.abp_id, agent, { principal: reviewer, reason: 'x' }),
    ).rejects.toMatchObject({ kind: 'forbidden' });
    const op = await principal(ctx, 'op', ['operator']);
    expect(await clearDegradedAgent(ctx, abp.abp_id, agent, { principal: op, reason: 'looked at it' })).toMatchObject({
      cleared: [checkId],
    });
    await allowedCheck(abp.abp_id, abp.hash, agent);
    await expect(clearDegradedAgent(ctx, abp.abp_id, agent, { principal: op, reason: 'again' })).rejects.toMatchObject({
      kind: 'not_found',
    });
  });

  it('refuses an unknown, blocked or already reported check, naming it', async () => {
    const abp = await withPost('outcome_succeeded', 'warn');
    const checkId = await allowedCheck(abp.abp_id, abp.hash);
    await reportActionOutcome(ctx, abp.abp_id, checkId, asDone);
    await expect(reportActionOutcome(ctx, abp.abp_id, checkId, asDone)).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringContaining(checkId),
    });
    await expect(reportActionOutcome(ctx, abp.abp_id, 'check-nope', asDone)).rejects.toMatchObject({
      kind: 'not_found',
      message: expect.stringContaining('check-nope'),
    });
    const blocked = await checkAbpAction(ctx, abp.abp_id, { ...readCandidate(abp.hash), tool: 'email.send_external' });
    await expect(reportActionOutcome(ctx, abp.abp_id, blocked.checkId, asDone)).rejects.toMatchObject({
      kind: 'conflict',
    });
    // A check of another ABP is unknown under this one.
    const other = await withPost('outcome_succeeded', 'warn');
    await expect(
      reportActionOutcome(ctx, other.abp_id, await allowedCheck(abp.abp_id, abp.hash), asDone),
    ).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('over HTTP: report (201), refusals as 404/409/400 naming the check or field, clear role-checked', async () => {
    const abp = await withPost('outcome_succeeded', 'degrade');
    const agent = unique('http-agent');
    const check = await call('POST', `/api/v1/abps/${abp.abp_id}/actions/check`, readCandidate(abp.hash, agent));
    const checkId: string = check.body.checkId;
    const path = `/api/v1/abps/${abp.abp_id}/actions/${encodeURIComponent(checkId)}/outcome`;
    expect((await call('POST', path, { status: 'finished' })).status).toBe(400);
    const bad = await call('POST', path, {
      status: 'failed',
      touched: [{ resource: 'x', operation: 'read', extra: 1 }],
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/touched/);
    const reported = await call('POST', path, { status: 'failed' });
    expect(reported).toMatchObject({ status: 201, body: { decision: 'degraded', degradedAgent: agent } });
    const again = await call('POST', path, { status: 'failed' });
    expect(again.status).toBe(409);
    expect(again.body.error).toContain(checkId);
    const unknown = await call('POST', `/api/v1/abps/${abp.abp_id}/actions/check-missing/outcome`, {
      status: 'failed',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toContain('check-missing');
    const { rows } = await ctx.pool.query(
      `SELECT actor FROM provenance_log WHERE kind = 'action.outcome_reported' AND payload->>'check_id' = $1`,
      [checkId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].actor).toMatch(/^http-operator-/);

    const reviewer = await principal(ctx, 'http-rev', ['Reviewer']);
    const clearPath = `/api/v1/abps/${abp.abp_id}/degradations/clear`;
    expect((await call('POST', clearPath, { as: reviewer, agent_id: agent, reason: 'x' })).status).toBe(403);
    const op = await principal(ctx, 'http-op', ['operator']);
    expect(await call('POST', clearPath, { as: op, agent_id: agent, reason: 'checked' })).toMatchObject({
      status: 200,
      body: { cleared: [checkId] },
    });
    expect(
      (await call('POST', `/api/v1/abps/${abp.abp_id}/actions/check`, readCandidate(abp.hash, agent))).body.decision,
    ).toBe('allowed');
  });

  it('from the CLI: action report and action clear with their exit codes', async () => {
    const env = cliEnv(ctx);
    const abp = await withPost('outcome_succeeded', 'degrade');
    const agent = unique('cli-agent');
    const checkId = await allowedCheck(abp.abp_id, abp.hash, agent);
    const file = join(ctx.config.dataDir, `${unique('outcome')}.json`);
    await writeFile(file, JSON.stringify({ status: 'failed', summary: 'timed out upstream' }));
    const reported = await runCli(
      ['action', 'report', abp.abp_id, '--check', checkId, '--outcome', file, '--json'],
      env,
    );
    expect(reported.code, reported.stderr).toBe(0);
    expect(reported.json).toMatchObject({ decision: 'degraded', degradedAgent: agent });
    const twice = await runCli(['action', 'report', abp.abp_id, '--check', checkId, '--outcome', file], env);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain(checkId);
    const op = await principal(ctx, 'cli-op', ['operator']);
    const cleared = await runCli(
      ['action', 'clear', abp.abp_id, '--agent', agent, '--reason', 'fixed', '--as', op],
      env,
    );
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toContain(checkId);
  });
});
