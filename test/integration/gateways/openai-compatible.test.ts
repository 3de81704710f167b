import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endorseRule } from '../../../client/endorsement';
import { listProvenance } from '../../../db/provenance/log';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { startModelStub, type ModelStub } from '../../../toolchain/model-stub';
import { buildUniqueAbp } from '../delegation/abp-fixtures';
import { freshAgent, operator, SEED_RULE } from '../endorsement/helpers';

let stub: ModelStub;
beforeAll(async () => {
  stub = await startModelStub();
});
afterAll(() => stub?.close());

const ctx = useIntegrationContext('openai-compatible', {
  env: () => ({ WARDEN_MODEL_BASE_URL: stub.baseUrl, WARDEN_CHAT_MODEL: 'stub-chat' }),
});
const call = useApiServer(ctx);

/** The official OpenAI SDK pointed at Warden's base URL, as any existing agent would be. */
async function openAiFor(headers: Record<string, string> = {}): Promise<OpenAI> {
  return new OpenAI({
    baseURL: `http://127.0.0.1:${call.port()}/v1`,
    apiKey: await call.token(),
    defaultHeaders: headers,
    maxRetries: 0,
  });
}

describe('OpenAI-compatible endpoint', () => {
  it("answers from the agent's production kernel through the configured model and queues a shadow for each staged change", async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 600 });
    const staged = await endorseRule(ctx, agent, SEED_RULE, {
      requestedBy: await operator(ctx),
      decide: { decision: 'stage', principal: 'alice' },
    });
    expect(staged.state).toBe('staged');
    const openai = await openAiFor();
    stub.script.push({ when: 'Which city is the capital of France?', content: 'Paris is the capital of France.' });
    const r = await openai.chat.completions.create({
      model: agent,
      messages: [{ role: 'user', content: 'Which city is the capital of France?' }],
    });
    expect(r.choices[0]!.message.content).toBe('Paris is the capital of France.');
    expect(r.object).toBe('chat.completion');
    // Forwarded as chat forwards: the production kernel's system prompt first, then the caller's turn.
    // The first request with this turn is the live one (the staged change's shadow asks later).
    const forwarded = stub.seen.find(
      (s) => s.body.messages?.at(-1)?.content === 'Which city is the capital of France?',
    )!.body;
    expect(forwarded.model).toBe('stub-chat');
    expect(forwarded.messages[0].role).toBe('system');
    expect(forwarded.messages[0].content).toContain('harm_avoidance_level');
    expect(forwarded.messages.at(-1)).toEqual({ role: 'user', content: 'Which city is the capital of France?' });
    const facts = (r as unknown as { warden: { shadow_samples: number; exchange_id: string } }).warden;
    expect(facts.shadow_samples).toBe(1);
    const { rows } = await ctx.pool.query('SELECT endorsement_id FROM shadow_samples WHERE exchange_id = $1', [
      facts.exchange_id,
    ]);
    expect(rows).toEqual([{ endorsement_id: staged.endorsementId }]);
  });

  it('streams in OpenAI chunk format, and the OpenAI client reassembles the same answer', async () => {
    const agent = await freshAgent(ctx);
    const openai = await openAiFor();
    const long = 'Sorting in Python: use sorted(items) for a new list or items.sort() in place. '.repeat(3);
    // Not a probe-battery prompt: a staged change's probes, run against this stub too, would take the answer.
    stub.script.push({ when: 'How would I sort a list of numbers in Python?', content: long });
    const stream = await openai.chat.completions.create({
      model: agent,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'How would I sort a list of numbers in Python?' }],
    });
    let text = '';
    let chunks = 0;
    let finish: string | null = null;
    let usage: unknown = null;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(long);
    expect(chunks).toBeGreaterThan(3);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ total_tokens: 12 });
  });

  it("removes a tool call the agent's ABP denies, says why in the answer, keeps the allowed one and records both checks", async () => {
    const agent = await freshAgent(ctx);
    const abp = await buildUniqueAbp(ctx);
    const openai = await openAiFor({
      'x-warden-abp': abp.abp_id,
      'x-warden-objective': 'OBJ-004',
      'x-warden-irreversible-tools': 'email.send_external',
    });
    const tools = ['ats.read', 'email.send_external'].map((name) => ({
      type: 'function' as const,
      function: { name, parameters: { type: 'object' } },
    }));
    const turn = 'Tell candidate 42 the outcome.';
    const ask = { model: agent, tools, messages: [{ role: 'user' as const, content: turn }] };

    stub.script.push({
      when: turn,
      content: null,
      toolCalls: [{ name: 'ats.read', arguments: '{"id":42}' }, { name: 'email.send_external' }],
    });
    const r = await openai.chat.completions.create(ask);
    const message = r.choices[0]!.message;
    expect(message.tool_calls?.map((c) => (c.type === 'function' ? c.function.name : c.type))).toEqual(['ats.read']);
    expect(message.content).toMatch(/Warden denied tool call email\.send_external: .*email\.send_external denied/);
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    const checks = await listProvenance(ctx.pool, { subject: `abp:${abp.abp_id}`, kind: 'action.checked' });
    expect(checks.map((e) => (e.payload as { decision: string; irreversible: boolean }).decision).sort()).toEqual([
      'allowed',
      'blocked',
    ]);
    expect(checks.some((e) => (e.payload as { irreversible: boolean }).irreversible)).toBe(true);

    // Streamed: the denied call never reaches the caller either.
    stub.script.push({ when: turn, content: null, toolCalls: [{ name: 'email.send_external' }] });
    const stream = await openai.chat.completions.create({ ...ask, stream: true });
    let text = '';
    const names: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      for (const c of chunk.choices[0]?.delta.tool_calls ?? []) if (c.function?.name) names.push(c.function.name);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(names).toEqual([]);
    expect(text).toMatch(/Warden denied tool call email\.send_external/);
    expect(finish).toBe('stop');
  });

  it('refuses every tool call when no ABP is named for the agent (fails closed)', async () => {
    const agent = await freshAgent(ctx);
    const openai = await openAiFor();
    stub.script.push({ when: 'Read the file.', content: 'Reading.', toolCalls: [{ name: 'ats.read' }] });
    const r = await openai.chat.completions.create({
      model: agent,
      messages: [{ role: 'user', content: 'Read the file.' }],
    });
    expect(r.choices[0]!.message.tool_calls).toBeUndefined();
    expect(r.choices[0]!.message.content).toMatch(/^Reading\.\nWarden denied tool call ats\.read: no ABP is named/);
  });

  it("refuses bad requests in OpenAI's error shape naming the field, and unknown tokens with 401", async () => {
    const agent = await freshAgent(ctx);
    const openai = await openAiFor();
    const nul = await openai.chat.completions
      .create({ model: agent, messages: [{ role: 'user', content: 'a\u0000b' }] })
      .catch((e: unknown) => e);
    expect(nul).toBeInstanceOf(OpenAI.BadRequestError);
    expect((nul as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages[0].content');
    const empty = await openai.chat.completions.create({ model: agent, messages: [] }).catch((e: unknown) => e);
    expect((empty as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages');
    const tooMany = await openai.chat.completions
      .create({ model: agent, messages: Array.from({ length: 257 }, () => ({ role: 'user' as const, content: 'hi' })) })
      .catch((e: unknown) => e);
    expect((tooMany as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
    const unknown = await openai.chat.completions
      .create({ model: 'no-such-agent', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).status).toBe(404);
    const anonymous = new OpenAI({
      baseURL: `http://127.0.0.1:${call.port()}/v1`,
      apiKey: 'not-a-warden-token',
      maxRetries: 0,
    });
    const refused = await anonymous.chat.completions
      .create({ model: agent, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('lists every agent as a model', async () => {
    const agent = await freshAgent(ctx);
    const models = await (await openAiFor()).models.list();
    const ids: string[] = [];
    for await (const m of models) ids.push(m.id);
    expect(ids).toContain(agent);
  });
});
