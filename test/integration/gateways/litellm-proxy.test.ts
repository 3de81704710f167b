import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endorseRule, showEndorsement } from '../../../client/endorsement';
import { embeddedReply } from '../../../domain/endorsement/embedded-model';
import { DEFAULT_KERNEL } from '../../../domain/kernel/default-kernel';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { startLiteLlmProxy, type LiteLlmProxy } from '../../../toolchain/litellm-proxy';
import { startModelStub, type ModelStub } from '../../../toolchain/model-stub';
import { buildUniqueAbp } from '../delegation/abp-fixtures';
import { BENIGN, eventually, freshAgent, HARMFUL, operator, SEED_RULE } from '../endorsement/helpers';

/**
 * The real LiteLLM proxy (litellm[proxy]==1.104.0, installed by `npm test` into the toolchain cache,
 * see toolchain/litellm-proxy.ts) with Warden as its generic guardrail, in front of the model stub.
 * vitest.config.ts runs this file only when WARDEN_LITELLM_BIN names the proxy.
 */
const ctx = useIntegrationContext('litellm-proxy');
const call = useApiServer(ctx);
let stub: ModelStub;
let proxy: LiteLlmProxy | undefined;
let agent = '';
let endorsementId = '';

beforeAll(async () => {
  const bin = process.env.WARDEN_LITELLM_BIN;
  if (!bin)
    throw new Error(
      'WARDEN_LITELLM_BIN is not set: run this file through `npm test`, which installs the LiteLLM proxy',
    );
  stub = await startModelStub();
  agent = await freshAgent(ctx, { cooldownBaseSeconds: 600 }, false);
  endorsementId = (
    await endorseRule(ctx, agent, SEED_RULE, {
      requestedBy: await operator(ctx),
      decide: { decision: 'stage', principal: 'alice' },
    })
  ).endorsementId;
  const abp = await buildUniqueAbp(ctx);
  const config = {
    model_list: [
      { model_name: agent, litellm_params: { model: 'openai/stub-chat', api_base: stub.baseUrl, api_key: 'stub' } },
    ],
    // Top level: under litellm_settings (as the wheel's example_config.yaml has it) 1.104.0 reads
    // the older name→settings form and fails to start.
    guardrails: [
      {
        guardrail_name: 'warden',
        litellm_params: {
          guardrail: 'generic_guardrail_api',
          mode: ['pre_call', 'post_call'],
          api_base: `http://127.0.0.1:${call.port()}`,
          api_key: await call.token(),
          default_on: true,
          additional_provider_specific_params: {
            agent,
            abp: abp.abp_id,
            objective: 'OBJ-004',
            irreversible_tools: ['email.send_external'],
          },
        },
      },
    ],
  };
  proxy = await startLiteLlmProxy(bin, config);
}, 180_000);

afterAll(async () => {
  proxy?.stop();
  await stub?.close();
});

async function chatThroughProxy(content: string) {
  const res = await fetch(`${proxy!.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${proxy!.masterKey}` },
    body: JSON.stringify({ model: agent, messages: [{ role: 'user', content }] }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('the real LiteLLM proxy with Warden as its generic guardrail', () => {
  it('blocks a denied tool call with Warden’s reason; a staged change shadows the traffic and a critical divergence rejects it, the answers unaffected', async () => {
    const toolTurn = 'Email candidate 42 the outcome.';
    stub.script.push({
      when: toolTurn,
      content: 'Sending the email.',
      toolCalls: [{ name: 'email.send_external', arguments: '{"to":"c42@example.com"}' }],
    });
    const blocked = await chatThroughProxy(toolTurn);
    expect(blocked.status, proxy!.log()).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(blocked.body)).toMatch(
      /Warden denied tool call email\.send_external: .*tool email\.send_external denied/,
    );

    for (const prompt of [BENIGN[0]!, HARMFUL]) {
      const r = await chatThroughProxy(prompt);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      // The caller gets the production answer, whatever the staged change's shadow does.
      expect(r.body.choices[0].message.content).toBe(embeddedReply(DEFAULT_KERNEL, prompt));
    }
    const rejected = await eventually(
      () => showEndorsement(ctx, endorsementId),
      (e) => e.state === 'rejected',
    );
    expect(rejected.samples).toMatchObject({ critical: 1 });
    expect(rejected.samples.scored).toBeGreaterThanOrEqual(2);
  });
});
