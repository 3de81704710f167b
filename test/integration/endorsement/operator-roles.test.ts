import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  abort,
  chat,
  createAgent,
  decide,
  endorseRule,
  extend,
  promote,
  showEndorsement,
  showKernel,
} from '../../../client/endorsement';
import { describeError } from '../../../client/errors';
import { addPrincipal } from '../../../db/access/principals';
import { listProvenance } from '../../../db/provenance/log';
import { newEndorsementId } from '../../../domain/endorsement/identifiers';
import { decideUpdate } from '../../../workflows/endorsement/contract';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { admin, BENIGN, failureOf, freshAgent, kernelVersionCount, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-operator-roles');
const call = useApiServer(ctx);

const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

async function reviewerOnly(): Promise<string> {
  const name = unique('rita');
  await addPrincipal(ctx.pool, name, ['Reviewer']);
  return name;
}

const entries = (id: string) => listProvenance(ctx.pool, { subject: `endorsement:${id}`, limit: 100 });

describe('creating agents is an administrator act (finding 7)', () => {
  it('refuses a principal without admin on the client, HTTP and CLI, and records the admin who created one', async () => {
    const [rita, root] = [await reviewerOnly(), await admin(ctx)];
    const id = unique('made');
    expect(await failureOf(createAgent(ctx, { id }, rita))).toMatchObject({
      status: 403,
      message: expect.stringMatching(new RegExp(`${rita} may not create agents: that needs the role admin`)),
    });
    expect(await failureOf(createAgent(ctx, { id }, 'nobody-known'))).toMatchObject({
      status: 403,
      message: expect.stringMatching(/unknown principal/),
    });
    const http = await call('POST', '/api/v1/agents', { id, as: rita });
    expect(http).toMatchObject({ status: 403, body: { error: expect.stringMatching(/needs the role admin/) } });
    const cli = await runCli(['agent', 'create', id, '--as', rita, '--json'], cliEnv(ctx));
    expectRefused(cli, 1, /needs the role admin/);
    expect(await failureOf(showKernel(ctx, id))).toMatchObject({ status: 404 });

    await createAgent(ctx, { id }, root);
    const [created] = await listProvenance(ctx.pool, { subject: `agent:${id}`, kind: 'agent.created' });
    expect(created!.actor).toBe(root);
    const overHttp = await call('POST', '/api/v1/agents', { id: unique('http') });
    expect(overHttp.status).toBe(201);
    const [byToken] = await listProvenance(ctx.pool, {
      subject: `agent:${overHttp.body.agent.id}`,
      kind: 'agent.created',
    });
    expect(byToken!.actor).toMatch(/^http-operator-/);
  });
});

describe("steering endorsements needs the agent's operator role (finding 8)", () => {
  it('refuses decide, promote, abort and extend by a Reviewer-only principal on every surface, and records nothing', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 1800, cooldownMaxSeconds: 3600 });
    const [rita, alice] = [await reviewerOnly(), await operator(ctx)];
    const pending = await endorseRule(ctx, agent, SEED_RULE, { requestedBy: alice });
    const forbidden = expect.stringMatching(
      new RegExp(
        `${rita} may not decide, promote, abort or extend endorsements of ${agent}: that needs the role operator`,
      ),
    );
    expect(await failureOf(decide(ctx, pending.endorsementId, 'stage', rita))).toMatchObject({
      status: 403,
      message: forbidden,
    });
    expect(
      await failureOf(
        endorseRule(ctx, agent, 'use an aggressive tone with spammers', {
          decide: { decision: 'approve', principal: rita },
        }),
      ),
    ).toMatchObject({ status: 403, message: forbidden });
    expect(
      (await call('POST', `/api/v1/endorsements/${pending.endorsementId}/decide`, { decision: 'stage', as: rita }))
        .status,
    ).toBe(403);
    expect((await runCli(['decide', pending.endorsementId, 'stage', '--as', rita, '--json'], cliEnv(ctx))).code).toBe(
      1,
    );
    // The workflow's activity refuses too, for a caller that sends the Update itself.
    const direct = await ctx.temporal.workflow
      .getHandle(pending.endorsementId)
      .executeUpdate(decideUpdate, {
        args: [{ decision: 'approve', principal: rita }],
      })
      .then(
        () => 'accepted',
        (e: unknown) => describeError(e).message,
      );
    expect(direct).toMatch(/needs the role operator/);
    expect((await showEndorsement(ctx, pending.endorsementId)).state).toBe('pending');

    await decide(ctx, pending.endorsementId, 'stage', alice);
    const id = pending.endorsementId;
    for (const work of [
      () => promote(ctx, id, rita, 'because', { override: true }),
      () => abort(ctx, id, rita),
      () => extend(ctx, id, rita, 60),
    ]) {
      expect(await failureOf(work())).toMatchObject({ status: 403, message: forbidden });
    }
    for (const action of ['promote', 'abort', 'extend']) {
      expect(
        (
          await call('POST', `/api/v1/endorsements/${id}/${action}`, {
            as: rita,
            ...(action === 'promote' ? { override: true, rationale: 'x' } : {}),
          })
        ).status,
      ).toBe(403);
    }
    const cli = await runCli(['endorsement', 'abort', id, '--as', rita, '--json'], cliEnv(ctx));
    expectRefused(cli, 1, /needs the role operator/);
    // The staged change's probes may still be recording (endorsement.probed): what counts is that
    // nothing the refused principal tried was recorded.
    const refusedKinds = ['endorsement.promoted', 'endorsement.aborted', 'endorsement.extended'];
    expect((await entries(id)).filter((e) => e.actor === rita || refusedKinds.includes(e.kind))).toEqual([]);
    expect((await showEndorsement(ctx, id)).state).toBe('staged');
    expect(await kernelVersionCount(ctx, agent)).toBe(1);
  });

  it('the role is the one the agent names, set when the agent is created', async () => {
    const root = await admin(ctx);
    const id = unique('guarded');
    const created = await runCli(
      ['agent', 'create', id, '--as', root, '--operator-role', 'release-manager', '--json'],
      cliEnv(ctx),
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.json.agent.settings.operatorRole).toBe('release-manager');
    const [alice, rel] = [await operator(ctx), unique('rel')];
    await addPrincipal(ctx.pool, rel, ['release-manager']);
    expect(
      await failureOf(endorseRule(ctx, id, SEED_RULE, { decide: { decision: 'stage', principal: alice } })),
    ).toMatchObject({ status: 403, message: expect.stringMatching(/needs the role release-manager/) });
    // Each endorsement carries the agent's role.
    const own = await endorseRule(ctx, id, SEED_RULE, { requestedBy: rel });
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
    for (let i = 0; i < 5; i += 1)
      await chat(ctx, agent, `${BENIGN[i % BENIGN.length]} (${i})`, { waitForShadow: true });

    const refused = await failureOf(promote(ctx, r.endorsementId, alice, 'looks fine'));
    expect(refused).toMatchObject({
      status: 409,
      message: expect.stringMatching(
        /evidence rule is not met \(cooldown has \d+ s left; 5 of 10 samples\): promoting now needs an override and a rationale/,
      ),
    });
    expect(await failureOf(promote(ctx, r.endorsementId, alice, '   ', { override: true }))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/rationale: required with override/),
    });
    const http = await call('POST', `/api/v1/endorsements/${r.endorsementId}/promote`, { as: alice });
    expect(http).toMatchObject({ status: 409, body: { error: expect.stringMatching(/5 of 10 samples/) } });
    expect(
      (await call('POST', `/api/v1/endorsements/${r.endorsementId}/promote`, { as: alice, override: true })).status,
    ).toBe(400);
    const cli = await runCli(['endorsement', 'promote', r.endorsementId, '--as', alice, '--json'], cliEnv(ctx));
    expectRefused(cli, 1, /needs an override and a rationale \(--override --rationale/);
    expect((await showEndorsement(ctx, r.endorsementId)).state).toBe('staged');
    expect(await kernelVersionCount(ctx, agent)).toBe(1);

    const promoted = await runCli(
      [
        'endorsement',
        'promote',
        r.endorsementId,
        '--as',
        alice,
        '--override',
        '--rationale',
        'incident fix, five clean samples',
        '--json',
      ],
      cliEnv(ctx),
    );
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.json).toMatchObject({
      state: 'promoted',
      outcome: { reason: expect.stringMatching(/overriding the evidence rule/) },
    });
    const [entry] = await listProvenance(ctx.pool, {
      subject: `endorsement:${r.endorsementId}`,
      kind: 'endorsement.promoted',
    });
    expect(entry).toMatchObject({
      actor: alice,
      payload: {
        manual: true,
        override: true,
        rationale: 'incident fix, five clean samples',
        shortfall: expect.stringMatching(/5 of 10 samples/),
      },
    });
    expect(await kernelVersionCount(ctx, agent)).toBe(2);
  });
});

describe('--decide needs a conflict to decide (finding 10)', () => {
  it('refuses a decision on a rule that conflicts with nothing, with the reason, and applies nothing: client, HTTP and CLI', async () => {
    const agent = await freshAgent(ctx);
    const alice = await operator(ctx);
    const rule = 'Start every answer with a one-line summary';
    expect(
      await failureOf(endorseRule(ctx, agent, rule, { decide: { decision: 'stage', principal: alice } })),
    ).toMatchObject({
      status: 400,
      message: expect.stringMatching(
        /decide: rule conflicts with no anchor or commitment, so there is nothing to decide and nothing was applied/,
      ),
    });
    const http = await call('POST', `/api/v1/agents/${agent}/endorsements`, { rule, decide: 'stage', as: alice });
    expect(http).toMatchObject({ status: 400, body: { error: expect.stringMatching(/nothing to decide/) } });
    const cli = await runCli(['endorse', agent, rule, '--decide', 'stage', '--as', alice, '--json'], cliEnv(ctx));
    expectRefused(cli, 2, /nothing to decide/);
    expect(await kernelVersionCount(ctx, agent)).toBe(1);
    expect((await showKernel(ctx, agent)).kernel.rules).toEqual([]);
    // Without a decision the same rule is what it always was: added as a new kernel version.
    expect((await endorseRule(ctx, agent, rule, { requestedBy: alice })).state).toBe('applied');
    expect(await kernelVersionCount(ctx, agent)).toBe(2);
  });
});

describe("proposing a rule needs the agent's operator role (a rule that conflicts with nothing is applied at once)", () => {
  const rule = 'Start every answer with a one-line summary';

  it('refuses a Reviewer-only principal, and a proposal for nobody, on the client, HTTP and CLI; applies nothing', async () => {
    const agent = await freshAgent(ctx);
    const rita = await reviewerOnly();
    const forbidden = new RegExp(`${rita} may not endorse rules for ${agent}: that needs the role operator`);
    expect(await failureOf(endorseRule(ctx, agent, rule, { requestedBy: rita }))).toMatchObject({
      status: 403,
      message: expect.stringMatching(forbidden),
    });
    expect(await failureOf(endorseRule(ctx, agent, rule))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^requestedBy: .*acts for a person/),
    });
    const http = await call('POST', `/api/v1/agents/${agent}/endorsements`, { rule, as: rita });
    expect(http).toMatchObject({ status: 403, body: { error: expect.stringMatching(forbidden) } });
    // Any token holder used to get this far: the admin's token is refused too (admin is not the operator role).
    const byAdmin = await call('POST', `/api/v1/agents/${agent}/endorsements`, { rule });
    expect(byAdmin).toMatchObject({ status: 403, body: { error: expect.stringMatching(/needs the role operator/) } });
    const cli = await runCli(['endorse', agent, rule, '--as', rita, '--json'], cliEnv(ctx));
    expectRefused(cli, 1, forbidden);
    const anonymous = await runCli(['endorse', agent, rule, '--json'], cliEnv(ctx, { WARDEN_PRINCIPAL: '' }));
    expectRefused(anonymous, 2, /--as/);
    expect(await kernelVersionCount(ctx, agent)).toBe(1);
    expect((await ctx.pool.query('SELECT 1 FROM endorsements WHERE agent_id = $1', [agent])).rowCount).toBe(0);
  });

  it('applies the rule for an operator on every surface, recording who proposed it', async () => {
    const agent = await freshAgent(ctx);
    const alice = await operator(ctx);
    const direct = await endorseRule(ctx, agent, rule, { requestedBy: alice });
    expect(direct.state).toBe('applied');
    const http = await call('POST', `/api/v1/agents/${agent}/endorsements`, {
      rule: 'Answer in British English',
      as: alice,
    });
    expect(http).toMatchObject({ status: 201, body: { state: 'applied' } });
    const cli = await runCli(
      ['endorse', agent, 'Close every answer with a source list', '--as', alice, '--json'],
      cliEnv(ctx),
    );
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json.state).toBe('applied');
    for (const id of [direct.endorsementId, http.body.endorsementId, cli.json.endorsementId]) {
      const [applied] = await entries(id);
      expect(applied).toMatchObject({ kind: 'endorsement.applied', actor: alice });
    }
    expect(await kernelVersionCount(ctx, agent)).toBe(4);
  });

  it('the registration activity refuses a workflow started around the client: nothing is recorded or applied', async () => {
    const agent = await freshAgent(ctx);
    const rita = await reviewerOnly();
    for (const requestedBy of [rita, null]) {
      const id = newEndorsementId(agent, new Date(), randomBytes(2).toString('hex'));
      const handle = await ctx.temporal.workflow.start('endorsementWorkflow', {
        workflowId: id,
        taskQueue: ctx.taskQueue,
        args: [{ endorsementId: id, agentId: agent, ruleText: rule, requestedBy }],
      });
      const failure = describeError(await handle.result().catch((e: unknown) => e));
      expect(failure.message).toMatch(
        requestedBy ? /may not endorse rules for .*needs the role operator/ : /needs the principal who proposes it/,
      );
      expect(await entries(id)).toEqual([]);
    }
    expect(await kernelVersionCount(ctx, agent)).toBe(1);
  });
});
