import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { abort, chat, createAgent, decide, endorseRule, extend, promote, showEndorsement, showKernel } from '../../../client/endorsement';
import { describeError } from '../../../client/errors';
import { grantPrincipal } from '../../../client/access';
import { listProvenance } from '../../../db/provenance/log';
import { decideUpdate } from '../../../workflows/endorsement/contract';
import { cliEnv, runCli } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { admin, BENIGN, failureOf, freshAgent, kernelVersionCount, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-operator-roles');
const call = useApiServer(ctx);

const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

async function reviewerOnly(): Promise<string> {
  const name = unique('rita');
  await grantPrincipal(ctx, name, ['Reviewer']);
  return name;
}

const entries = (id: string) => listProvenance(ctx.pool, { subject: `endorsement:${id}`, limit: 100 });

describe('creating agents is an administrator act (finding 7)', () => {
  it('refuses a principal without admin on the client, HTTP and CLI, and records the admin who created one', async () => {
    const [rita, root] = [await reviewerOnly(), await admin(ctx)];
    const id = unique('made');
    expect(await failureOf(createAgent(ctx, { id }, rita))).toMatchObject({ status: 403, message: expect.stringMatching(new RegExp(`${rita} may not create agents: that needs the role admin`)) });
    expect(await failureOf(createAgent(ctx, { id }, 'nobody-known'))).toMatchObject({ status: 403, message: expect.stringMatching(/unknown principal/) });
    const http = await call('POST', '/api/v1/agents', { id, as: rita });
    expect(http).toMatchObject({ status: 403, body: { error: expect.stringMatching(/needs the role admin/) } });
    const cli = await runCli(['agent', 'create', id, '--as', rita, '--json'], cliEnv(ctx));
    expect(cli.code).toBe(1);
    expect(cli.json.error).toMatch(/needs the role admin/);
    expect(await failureOf(showKernel(ctx, id))).toMatchObject({ status: 404 });

    await createAgent(ctx, { id }, root);
    const [created] = await listProvenance(ctx.pool, { subject: `agent:${id}`, kind: 'agent.created' });
    expect(created!.actor).toBe(root);
    const overHttp = await call('POST', '/api/v1/agents', { id: unique('http') });
    expect(overHttp.status).toBe(201);
    const [byToken] = await listProvenance(ctx.pool, { subject: `agent:${overHttp.body.agent.id}`, kind: 'agent.created' });
    expect(byToken!.actor).toMatch(/^http-operator-/);
  });
});

describe("steering endorsements needs the agent's operator role (finding 8)", () => {
  it('refuses decide, promote, abort and extend by a Reviewer-only principal on every surface, and records nothing', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 1800, cooldownMaxSeconds: 3600 });
    const [rita, alice] = [await reviewerOnly(), await operator(ctx)];
    const pending = await endorseRule(ctx, agent, SEED_RULE);
    const forbidden = expect.stringMatching(new RegExp(`${rita} may not decide, promote, abort or extend endorsements of ${agent}: that needs the role operator`));
    expect(await failureOf(decide(ctx, pending.endorsementId, 'stage', rita))).toMatchObject({ status: 403, message: forbidden });
    expect(await failureOf(endorseRule(ctx, agent, 'use an aggressive tone with spammers', { decide: { decision: 'approve', principal: rita } })))
      .toMatchObject({ status: 403, message: forbidden });
    expect((await call('POST', `/api/v1/endorsements/${pending.endorsementId}/decide`, { decision: 'stage', as: rita })).status).toBe(403);
    expect((await runCli(['decide', pending.endorsementId, 'stage', '--as', rita, '--json'], cliEnv(ctx))).code).toBe(1);
    // The workflow's activity refuses too, for a caller that sends the Update itself.
    const direct = await ctx.temporal.workflow.getHandle(pending.endorsementId).executeUpdate(decideUpdate, {
      args: [{ decision: 'approve', principal: rita }],
    }).then(() => 'accepted', (e: unknown) => describeError(e).message);
    expect(direct).toMatch(/needs the role operator/);
    expect((await showEndorsement(ctx, pending.endorsementId)).state).toBe('pending');

    await decide(ctx, pending.endorsementId, 'stage', alice);
    const id = pending.endorsementId;
    const before = (await entries(id)).length;
    for (const work of [() => promote(ctx, id, rita, 'because', { override: true }), () => abort(ctx, id, rita), () => extend(ctx, id, rita, 60)]) {
      expect(await failureOf(work())).toMatchObject({ status: 403, message: forbidden });
    }
    for (const action of ['promote', 'abort', 'extend']) {
      expect((await call('POST', `/api/v1/endorsements/${id}/${action}`, { as: rita, ...(action === 'promote' ? { override: true, rationale: 'x' } : {}) })).status).toBe(403);
    }
    const cli = await runCli(['endorsement', 'abort', id, '--as', rita, '--json'], cliEnv(ctx));
    expect(cli.code).toBe(1);
    expect(cli.json.error).toMatch(/needs the role operator/);
    expect(await entries(id)).toHaveLength(before);
    expect((await showEndorsement(ctx, id)).state).toBe('staged');
    expect(await kernelVersionCount(ctx, agent)).toBe(1);
  });

  it('the role is the one the agent names, set when the agent is created', async () => {
    const root = await admin(ctx);
    const id = unique('guarded');
    const created = await runCli(['agent', 'create', id, '--as', root, '--operator-role', 'release-manager', '--json'], cliEnv(ctx));
    expect(created.code, created.stderr).toBe(0);
    expect(created.json.agent.settings.operatorRole).toBe('release-manager');
    const [alice, rel] = [await operator(ctx), unique('rel')];
    await grantPrincipal(ctx, rel, ['release-manager']);
    expect(await failureOf(endorseRule(ctx, id, SEED_RULE, { decide: { decision: 'stage', principal: alice } })))
      .toMatchObject({ status: 403, message: expect.stringMatching(/needs the role release-manager/) });
    // Each endorsement carries the agent's role.
    const own = await endorseRule(ctx, id, SEED_RULE);
    expect((await showEndorsement(ctx, own.endorsementId)).settings.operatorRole).toBe('release-manager');
    expect(await failureOf(decide(ctx, own.endorsementId, 'reject', alice))).toMatchObject({ status: 403 });
    expect((await decide(ctx, own.endorsementId, 'reject', rel)).state).toBe('rejected');
  });
});

describe('promoting before the evidence rule is met is an override (finding 8)', () => {
  it('refuses an early promotion without --override and a rationale; with both it promotes and records the override', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 1800, cooldownMaxSeconds: 3600, minSamples: 10 });
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    for (let i = 0; i < 5; i += 1) await chat(ctx, agent, `${BENIGN[i % BENIGN.length]} (${i})`, { waitForShadow: true });

    const refused = await failureOf(promote(ctx, r.endorsementId, alice, 'looks fine'));
    expect(refused).toMatchObject({ status: 409, message: expect.stringMatching(/evidence rule is not met \(cooldown has \d+ s left; 5 of 10 samples\): promoting now needs an override and a rationale/) });
    expect(await failureOf(promote(ctx, r.endorsementId, alice, '   ', { override: true }))).toMatchObject({ status: 400, message: expect.stringMatching(/rationale: required with override/) });
    const http = await call('POST', `/api/v1/endorsements/${r.endorsementId}/promote`, { as: alice });
    expect(http).toMatchObject({ status: 409, body: { error: expect.stringMatching(/5 of 10 samples/) } });
    expect((await call('POST', `/api/v1/endorsements/${r.endorsementId}/promote`, { as: alice, override: true })).status).toBe(400);
    const cli = await runCli(['endorsement', 'promote', r.endorsementId, '--as', alice, '--json'], cliEnv(ctx));
    expect(cli.code).toBe(1);
    expect(cli.json.error).toMatch(/needs an override and a rationale \(--override --rationale/);
    expect((await showEndorsement(ctx, r.endorsementId)).state).toBe('staged');
    expect(await kernelVersionCount(ctx, agent)).toBe(1);

    const promoted = await runCli(
      ['endorsement', 'promote', r.endorsementId, '--as', alice, '--override', '--rationale', 'incident fix, five clean samples', '--json'],
      cliEnv(ctx),
    );
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.json).toMatchObject({ state: 'promoted', outcome: { reason: expect.stringMatching(/overriding the evidence rule/) } });
    const [entry] = await listProvenance(ctx.pool, { subject: `endorsement:${r.endorsementId}`, kind: 'endorsement.promoted' });
    expect(entry).toMatchObject({
      actor: alice,
      payload: { manual: true, override: true, rationale: 'incident fix, five clean samples', shortfall: expect.stringMatching(/5 of 10 samples/) },
    });
    expect(await kernelVersionCount(ctx, agent)).toBe(2);
  });
});

describe('--decide needs a conflict to decide (finding 10)', () => {
  it('refuses a decision on a rule that conflicts with nothing, with the reason, and applies nothing: client, HTTP and CLI', async () => {
    const agent = await freshAgent(ctx);
    const alice = await operator(ctx);
    const rule = 'Start every answer with a one-line summary';
    expect(await failureOf(endorseRule(ctx, agent, rule, { decide: { decision: 'stage', principal: alice } }))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/decide: rule conflicts with no anchor or commitment, so there is nothing to decide and nothing was applied/),
    });
    const http = await call('POST', `/api/v1/agents/${agent}/endorsements`, { rule, decide: 'stage', as: alice });
    expect(http).toMatchObject({ status: 400, body: { error: expect.stringMatching(/nothing to decide/) } });
    const cli = await runCli(['endorse', agent, rule, '--decide', 'stage', '--as', alice, '--json'], cliEnv(ctx));
    expect(cli.code).toBe(2);
    expect(cli.json.error).toMatch(/nothing to decide/);
    expect(await kernelVersionCount(ctx, agent)).toBe(1);
    expect((await showKernel(ctx, agent)).kernel.rules).toEqual([]);
    // Without a decision the same rule is what it always was: added as a new kernel version.
    expect((await endorseRule(ctx, agent, rule)).state).toBe('applied');
    expect(await kernelVersionCount(ctx, agent)).toBe(2);
  });
});
