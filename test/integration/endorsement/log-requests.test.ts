import { describe, expect, it } from 'vitest';
import { chat, endorseRule, showKernel } from '../../../client/endorsement';
import { findExchange } from '../../../db/endorsement/shadow-samples';
import { listProvenance } from '../../../db/provenance/log';
import { sha256Hex } from '../../../domain/non-workflow/sha256';
import { cliEnv, runCli } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';
import { admin, BENIGN, freshAgent, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-log-requests');

describe("logRequests (the seed's log_requests)", () => {
  it('is on by default: prompt and answer stay stored after scoring, with their digests', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 600, cooldownMaxSeconds: 1200 });
    expect((await showKernel(ctx, agent)).settings.logRequests).toBe(true);
    await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: await operator(ctx) } });
    const r = await chat(ctx, agent, BENIGN[0]!, { waitForShadow: true });
    expect(r.shadows).toMatchObject([{ status: 'scored' }]);
    expect(await findExchange(ctx.pool, r.exchangeId)).toMatchObject({
      prompt: BENIGN[0],
      response: r.content,
      promptSha256: sha256Hex(BENIGN[0]!),
      redactedAt: null,
    });
  });

  it('off: text is kept only until the shadow samples are scored, then a hash and length; scoring and provenance unchanged', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 600, cooldownMaxSeconds: 1200, logRequests: false });
    // Nothing staged: no sample needs the text, so it is never kept.
    const plain = await chat(ctx, agent, 'What is the capital of France?');
    expect(await findExchange(ctx.pool, plain.exchangeId)).toMatchObject({
      prompt: '',
      response: '',
      promptSha256: sha256Hex('What is the capital of France?'),
      promptLength: 'What is the capital of France?'.length,
      responseSha256: sha256Hex(plain.content),
      responseLength: [...plain.content].length,
      redactedAt: expect.any(String),
    });

    const staged = await endorseRule(ctx, agent, SEED_RULE, {
      decide: { decision: 'stage', principal: await operator(ctx) },
    });
    const question = BENIGN[1]!;
    const r = await chat(ctx, agent, question, { waitForShadow: true });
    // Scored as it would have been with the text kept.
    expect(r.shadows).toMatchObject([{ status: 'scored', divergence: 0 }]);
    expect(await findExchange(ctx.pool, r.exchangeId)).toMatchObject({
      prompt: '',
      response: '',
      promptSha256: sha256Hex(question),
      promptLength: question.length,
      responseSha256: sha256Hex(r.content),
      redactedAt: expect.any(String),
    });
    const scored = await listProvenance(ctx.pool, {
      subject: `endorsement:${staged.endorsementId}`,
      kind: 'endorsement.shadow_scored',
    });
    expect(scored.map((e) => e.payload.exchangeId)).toEqual([r.exchangeId]);
  });

  it('is set at creation: `agent create --no-log-requests`; an endorsement cannot override it', async () => {
    const root = await admin(ctx);
    const agent = `nolog-${Date.now().toString(36)}`;
    const created = await runCli(['agent', 'create', agent, '--no-log-requests', '--as', root, '--json'], cliEnv(ctx));
    expect(created.code, created.stderr).toBe(0);
    expect(created.json.agent.settings.logRequests).toBe(false);
    await expect(endorseRule(ctx, agent, SEED_RULE, { settings: { logRequests: true } as never })).rejects.toThrow(
      /logRequests/,
    );
  });
});
