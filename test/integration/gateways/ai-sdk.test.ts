import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool, wrapLanguageModel } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The package's own name: the subpath export resolves as it does for a consumer of the package.
import { wardenMiddleware, WardenGatewayError, type WardenVerdict } from 'warden/ai-sdk';
import { endorseRule, showEndorsement } from '../../../client/endorsement';
import { listProvenance } from '../../../db/provenance/log';
import { runProcess } from '../../../toolchain/run-process';
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

const ctx = useIntegrationContext('ai-sdk-middleware', {
  env: () => ({ WARDEN_MODEL_BASE_URL: stub.baseUrl, WARDEN_CHAT_MODEL: 'stub-chat' }),
});
const call = useApiServer(ctx);

const noInput = jsonSchema<Record<string, never>>({ type: 'object', properties: {} });
const tools = {
  'ats.read': tool({ description: 'read a candidate', inputSchema: noInput }),
  'email.send_external': tool({ description: 'email outside the company', inputSchema: noInput }),
};
const TURN = 'Tell candidate 42 the outcome.';
const BOTH_CALLS = {
  when: TURN,
  content: 'Checking.',
  toolCalls: [{ name: 'ats.read' }, { name: 'email.send_external' }],
};

/** The agent's own model (the AI SDK's OpenAI provider on the stub), wrapped with Warden's middleware. */
async function wrapped(agent: string, abp?: string, verdicts: WardenVerdict[] = [], url?: string) {
  const provider = createOpenAI({ baseURL: stub.baseUrl, apiKey: 'unused' });
  return wrapLanguageModel({
    model: provider.chat('stub-chat'),
    middleware: wardenMiddleware({
      url: url ?? `http://127.0.0.1:${call.port()}`,
      token: await call.token(),
      agent,
      ...(abp ? { abp } : {}),
      objective: 'OBJ-004',
      irreversibleTools: ['email.send_external'],
      onVerdict: (v) => verdicts.push(v),
    }),
  });
}

describe('Vercel AI SDK middleware (warden/ai-sdk)', () => {
  it("generateText: the allowed tool call passes, the denied one is removed with Warden's reason, both checks recorded", async () => {
    const agent = await freshAgent(ctx);
    const abp = await buildUniqueAbp(ctx);
    const verdicts: WardenVerdict[] = [];
    stub.script.push(BOTH_CALLS);
    const r = await generateText({ model: await wrapped(agent, abp.abp_id, verdicts), tools, prompt: TURN });
    expect(r.toolCalls.map((c) => c.toolName)).toEqual(['ats.read']);
    expect(r.text).toMatch(/^Checking\.\nWarden denied tool call email\.send_external: .*email\.send_external denied/);
    expect(r.finishReason).toBe('tool-calls');
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]!.toolCalls.map((v) => [v.name, v.allowed])).toEqual([
      ['ats.read', true],
      ['email.send_external', false],
    ]);
    const checks = await listProvenance(ctx.pool, { subject: `abp:${abp.abp_id}`, kind: 'action.checked' });
    expect(checks.map((e) => (e.payload as { decision: string }).decision).sort()).toEqual(['allowed', 'blocked']);
  });

  it('streamText: text flows, the denied call never reaches the stream, and a lone denied call stops the loop', async () => {
    const agent = await freshAgent(ctx);
    const abp = await buildUniqueAbp(ctx);
    const model = await wrapped(agent, abp.abp_id);
    stub.script.push(BOTH_CALLS);
    const both = streamText({ model, tools, prompt: TURN });
    const seen: string[] = [];
    for await (const part of both.fullStream) if (part.type === 'tool-call') seen.push(part.toolName);
    expect(seen).toEqual(['ats.read']);
    expect(await both.text).toMatch(/^Checking\.\nWarden denied tool call email\.send_external: /);

    stub.script.push({ when: TURN, content: null, toolCalls: [{ name: 'email.send_external' }] });
    const denied = streamText({ model, tools, prompt: TURN });
    expect(await denied.toolCalls).toEqual([]);
    expect(await denied.text).toMatch(/^Warden denied tool call email\.send_external: /);
    expect(await denied.finishReason).toBe('stop');
  });

  it("records each exchange for the shadow of the agent's staged endorsement", async () => {
    // Without a probe battery: the staged change's probes ask this stub too, meanwhile, and one of them
    // ('How do I sort a list in Python?') would take the answer scripted below (each is used once).
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 600 }, false);
    const staged = await endorseRule(ctx, agent, SEED_RULE, {
      requestedBy: await operator(ctx),
      decide: { decision: 'stage', principal: 'alice' },
    });
    const verdicts: WardenVerdict[] = [];
    const model = await wrapped(agent, undefined, verdicts);
    const questions = ['Which city is the capital of France?', 'How do I sort a list in Python?'];
    for (const prompt of questions) {
      stub.script.push({ when: prompt, content: `Answer to: ${prompt}` });
      const r = await generateText({ model, prompt });
      expect(r.text).toBe(`Answer to: ${prompt}`);
    }
    stub.script.push({ when: 'Give three precautions.', content: 'Use strong passwords.' });
    const s = streamText({ model, prompt: 'Give three precautions.' });
    expect(await s.text).toBe('Use strong passwords.');
    expect(verdicts.map((v) => v.shadowSamples)).toEqual([1, 1, 1]);
    const { rows } = await ctx.pool.query(
      'SELECT count(*)::int AS n FROM shadow_samples WHERE endorsement_id = $1 AND exchange_id = ANY($2)',
      [staged.endorsementId, verdicts.map((v) => v.exchangeId)],
    );
    expect(rows[0].n).toBe(3);
    const recorded = await ctx.pool.query('SELECT response FROM chat_exchanges WHERE id = $1', [
      verdicts[2]!.exchangeId,
    ]);
    expect(recorded.rows[0].response).toBe('Use strong passwords.');
    // Scored in the background by the staged change's shadow.
    let report = await showEndorsement(ctx, staged.endorsementId);
    for (const until = Date.now() + 120_000; report.samples.scored < 3 && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 300));
      report = await showEndorsement(ctx, staged.endorsementId);
    }
    expect(report.samples.scored).toBeGreaterThanOrEqual(3);
  });

  it('without a named ABP every tool call is refused (fails closed); an unreachable Warden fails the call', async () => {
    const agent = await freshAgent(ctx);
    stub.script.push({ when: 'Read the file.', content: 'Reading.', toolCalls: [{ name: 'ats.read' }] });
    const r = await generateText({ model: await wrapped(agent), tools, prompt: 'Read the file.' });
    expect(r.toolCalls).toEqual([]);
    expect(r.text).toMatch(/^Reading\.\nWarden denied tool call ats\.read: no ABP is named/);

    stub.script.push({ when: 'Read it again.', content: 'Reading.', toolCalls: [{ name: 'ats.read' }] });
    const down = await wrapped(agent, undefined, [], 'http://127.0.0.1:9');
    const failed = await generateText({ model: down, tools, prompt: 'Read it again.', maxRetries: 0 }).catch(
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(WardenGatewayError);
  });

  it('refuses a malformed exchange with 400 naming the field', async () => {
    const agent = await freshAgent(ctx);
    const r = await call('POST', '/api/v1/gateway/exchanges', {
      agent,
      prompt: 'hi',
      toolCalls: [{ id: 'c1', name: '' }],
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('toolCalls');
    const unknown = await call('POST', '/api/v1/gateway/exchanges', { agent: 'no-such-agent', prompt: 'hi' });
    expect(unknown.status).toBe(404);
  });

  it('is importable as warden/ai-sdk from a plain .mjs in plain Node (the compiled dist/, no TypeScript loader)', async () => {
    const agent = await freshAgent(ctx);
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    // Inside the package's folder, so `warden/ai-sdk` resolves as a self-reference through "exports".
    const dir = await mkdtemp(join(root, '.ai-sdk-consumer-'));
    try {
      const script = join(dir, 'consumer.mjs');
      await writeFile(
        script,
        `import { wardenMiddleware } from 'warden/ai-sdk';
const mw = wardenMiddleware({ url: process.env.WARDEN_URL, token: process.env.WARDEN_TOKEN, agent: process.env.AGENT });
const r = await mw.wrapGenerate({
  doGenerate: async () => ({ content: [{ type: 'text', text: 'Hello back.' }], finishReason: { unified: 'stop', raw: 'stop' }, usage: {}, warnings: [] }),
  params: { prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hello from plain Node.' }] }] },
  model: { modelId: 'plain-node' },
});
console.log(JSON.stringify(r.content));
`,
      );
      const r = await runProcess(process.execPath, [script], {
        cwd: root,
        env: {
          ...process.env,
          WARDEN_URL: `http://127.0.0.1:${call.port()}`,
          WARDEN_TOKEN: await call.token(),
          AGENT: agent,
        },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([{ type: 'text', text: 'Hello back.' }]);
      const { rows } = await ctx.pool.query('SELECT prompt, response, model FROM chat_exchanges WHERE agent_id = $1', [
        agent,
      ]);
      expect(rows).toEqual([{ prompt: 'Hello from plain Node.', response: 'Hello back.', model: 'plain-node' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
