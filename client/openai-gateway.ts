import { randomUUID } from 'node:crypto';
import type { GatewayTarget } from '../domain/gateways/gateway-target';
import { lastUserText, type OpenAiChatRequest } from '../domain/gateways/openai-chat-request';
import type { ModelToolCall } from '../models/model-gateway';
import { listAgents } from '../db/endorsement/agents';
import type { CheckCaller } from './action-check';
import type { WardenContext } from './context';
import { modelsOf, productionKernel } from './endorsement';
import { settleAnswer } from './gateway-exchange';

/** OpenAI's `chat.completion` object, as far as Warden fills it. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: 0;
    message: { role: 'assistant'; content: string | null; refusal: null; tool_calls?: ModelToolCall[] };
    finish_reason: string;
    logprobs: null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** Warden's own facts about the exchange (OpenAI clients ignore unknown fields). */
  warden: {
    agent: string;
    exchange_id: string | null;
    kernel_version: number;
    shadow_samples: number;
    denied_tool_calls: string[];
  };
}

/**
 * The OpenAI-compatible live path: the agent's production kernel answers the caller's
 * conversation through the configured model (as `chat` does), the exchange is recorded and queued
 * for every staged change's shadow, and the returned tool calls are checked against the agent's ABP
 * before the caller sees them. A denied call is removed and a refusal line naming it and the
 * validators' reasons is added to the answer's content; allowed calls are kept.
 */
export async function completeChat(
  ctx: WardenContext,
  target: GatewayTarget,
  request: OpenAiChatRequest,
  caller: CheckCaller = {},
): Promise<ChatCompletion> {
  const kernel = await productionKernel(ctx, target.agent);
  const models = modelsOf(ctx);
  const userText = lastUserText(request.messages);
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  const reply = await models.converse(kernel.definition, {
    messages: request.messages as Record<string, unknown>[],
    ...(request.tools ? { tools: request.tools } : {}),
    ...(request.tool_choice !== undefined ? { toolChoice: request.tool_choice } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    lastUserText: userText,
  });
  const id = `chatcmpl-${randomUUID()}`;
  const { content, kept, verdicts, recorded } = await settleAnswer(
    ctx,
    kernel,
    target,
    {
      userText,
      content: reply.content,
      toolCalls: reply.toolCalls,
      model: models.chatModel,
      reference: `openai/${id}`,
    },
    caller,
  );
  const denied = verdicts.filter((v) => !v.allowed);
  const finishReason = reply.finishReason === 'tool_calls' && kept.length === 0 ? 'stop' : reply.finishReason;
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, ...(kept.length > 0 ? { tool_calls: kept } : {}) },
        finish_reason: finishReason,
        logprobs: null,
      },
    ],
    ...(reply.usage ? { usage: reply.usage } : {}),
    warden: {
      agent: kernel.agentId,
      exchange_id: recorded?.exchangeId ?? null,
      kernel_version: kernel.version,
      shadow_samples: recorded?.queued.length ?? 0,
      denied_tool_calls: denied.map((d) => d.call.function.name),
    },
  };
}

/**
 * The same completion as OpenAI's stream of `chat.completion.chunk` server-sent events ending in
 * `data: [DONE]`. The answer is complete before the first event: tool calls must be checked
 * before any of them reaches the caller, so Warden never forwards a half-checked stream.
 */
export function completionEvents(c: ChatCompletion, includeUsage: boolean): string {
  const choice = c.choices[0]!;
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra })}\n\n`;
  const events = [chunk({ role: 'assistant', content: '' }, null)];
  // A few pieces rather than one: clients that render deltas see a stream, and join them back exactly.
  const text = choice.message.content ?? '';
  for (let i = 0; i < text.length; i += 64) events.push(chunk({ content: text.slice(i, i + 64) }, null));
  const calls = choice.message.tool_calls ?? [];
  if (calls.length > 0) events.push(chunk({ tool_calls: calls.map((call, index) => ({ index, ...call })) }, null));
  events.push(chunk({}, choice.finish_reason));
  if (includeUsage && c.usage)
    events.push(
      `data: ${JSON.stringify({ id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model, choices: [], usage: c.usage })}\n\n`,
    );
  events.push('data: [DONE]\n\n');
  return events.join('');
}

/** `GET /v1/models`: every agent is a model name the endpoint answers to. */
export async function listAgentModels(ctx: WardenContext) {
  const agents = await listAgents(ctx.pool);
  return {
    object: 'list' as const,
    data: agents.map((a) => ({
      id: a.id,
      object: 'model' as const,
      created: Math.floor(Date.parse(a.createdAt) / 1000),
      owned_by: 'warden',
    })),
  };
}
