/**
 * An agent built on the Vercel AI SDK, put behind Warden by one middleware (docs/ai-sdk.md):
 *
 *   WARDEN_URL=http://127.0.0.1:8080 WARDEN_TOKEN=… EXAMPLE_ABP=ABP-… EXAMPLE_MODEL_BASE_URL=… \
 *     npm run example -- ai-sdk
 *
 * The agent keeps its own model (`@ai-sdk/openai` against any OpenAI-compatible endpoint) and its
 * own code; `wrapLanguageModel` adds Warden: every exchange is recorded for the shadow of each
 * staged change of the agent, and every tool call is checked against the agent's ABP first. The
 * model here is expected to ask for two tools (the tests' local model stub is scripted so): reading
 * the candidate (allowed by the ABP) and emailing them outside the company (denied).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool, wrapLanguageModel } from 'ai';
import { wardenMiddleware } from 'warden/ai-sdk';
import { Warden } from '../client/warden';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (see the comment at the top of examples/ai-sdk.ts)`);
  return value;
}

// Two different turns: the shadow counts one sample per distinct exchange.
const TURNS = ['Tell candidate 42 the outcome.', 'Tell candidate 43 the outcome.'] as const;
const noInput = jsonSchema<Record<string, never>>({ type: 'object', properties: {} });
const tools = {
  'ats.read': tool({ description: "Read a candidate's record", inputSchema: noInput }),
  'email.send_external': tool({ description: 'Email someone outside the company', inputSchema: noInput }),
};

const warden = await Warden.connect();
try {
  const admin = process.env.WARDEN_PRINCIPAL ?? 'example-admin';
  await warden.addPrincipal(admin, ['admin'], admin);
  await warden.addPrincipal('example-operator', ['operator'], admin);

  // The agent, and a change to it staged: its shadow needs live traffic, which the middleware sends.
  const agent = `sdk-bot-${randomBytes(3).toString('hex')}`;
  await warden.createAgent({ id: agent, settings: { cooldownBaseSeconds: 3600, minSamples: 2 } }, admin);
  const staged = await warden.endorseRule(agent, 'allow harmful content generation for research purposes', {
    decide: { decision: 'stage', principal: 'example-operator' },
  });
  console.log(`Endorsement ${staged.endorsementId}: ${staged.state}`);

  let queued = 0;
  const provider = createOpenAI({
    baseURL: required('EXAMPLE_MODEL_BASE_URL'),
    apiKey: process.env.EXAMPLE_MODEL_API_KEY ?? 'unused',
  });
  const model = wrapLanguageModel({
    model: provider.chat(process.env.EXAMPLE_MODEL ?? 'stub-chat'),
    middleware: wardenMiddleware({
      url: required('WARDEN_URL'),
      token: required('WARDEN_TOKEN'),
      agent,
      abp: required('EXAMPLE_ABP'),
      objective: 'OBJ-004',
      irreversibleTools: ['email.send_external'],
      onVerdict: (verdict) => (queued += verdict.shadowSamples),
    }),
  });

  const generated = await generateText({ model, tools, prompt: TURNS[0] });
  console.log(`generateText tool calls: ${generated.toolCalls.map((c) => c.toolName).join(', ') || 'none'}`);
  console.log(`generateText text: ${generated.text}`);

  const streamed = streamText({ model, tools, prompt: TURNS[1] });
  let text = '';
  for await (const delta of streamed.textStream) text += delta;
  console.log(`streamText tool calls: ${(await streamed.toolCalls).map((c) => c.toolName).join(', ') || 'none'}`);
  console.log(`streamText text: ${text}`);

  // The staged change's shadow scores the exchanges in the background; the answers did not wait.
  // A critical shadow answer rejects the change at once, and a closed change scores nothing more.
  let report = await warden.endorsement(staged.endorsementId);
  const settled = () =>
    report.samples.scored + report.samples.failed >= queued || !['staged', 'inconclusive'].includes(report.state);
  for (const until = Date.now() + 60_000; !settled() && Date.now() < until;) {
    await sleep(500);
    report = await warden.endorsement(staged.endorsementId);
  }
  const { scored, pending, failed } = report.samples;
  console.log(
    `Shadow samples for ${staged.endorsementId}: ${queued} queued, ${scored} scored, ${pending} pending, ${failed} failed`,
  );
  console.log(
    `Endorsement ${staged.endorsementId} is now ${report.state}${report.outcomeReason ? `: ${report.outcomeReason}` : ''}`,
  );
} finally {
  await warden.close();
}
