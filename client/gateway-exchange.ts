import { liveAnswerText, shadowPrompt } from '../domain/gateways/exchange-text';
import type { GatewayTarget } from '../domain/gateways/gateway-target';
import type { SdkExchangeRequest, SdkExchangeVerdict } from '../domain/gateways/sdk-exchange-request';
import type { GatewayToolCall } from '../domain/gateways/tool-call-action';
import type { WardenContext } from './context';
import type { CheckCaller } from './action-check';
import { tokenRefusal } from '../db/access/api-tokens';
import { forgetToken, TokenRefusedError } from './verified-tokens';
import type { KernelVersion } from '../db/endorsement/agents';
import { productionKernel, recordLiveExchange } from './endorsement';
import { denialReason, gateToolCalls, type ToolCallVerdict } from './gateway-tool-gate';

export interface SettledAnswer<T extends GatewayToolCall> {
  /** The answer's text as the caller gets it: the model's, then one refusal line per denied call. */
  content: string | null;
  /** The refusal lines alone ('' when nothing was denied). */
  refusal: string;
  kept: T[];
  verdicts: ToolCallVerdict<T>[];
  recorded: { exchangeId: string; queued: { endorsementId: string }[] } | null;
}

/**
 * What every gateway does once a model has answered: the answer's tool calls checked against the
 * agent's ABP (a denied call is removed and a refusal line naming it and the validators' reasons is
 * added to the text), then the exchange as the caller really gets it recorded and queued for every
 * staged change's shadow (the shadow never touches the answer).
 */
export async function settleAnswer<T extends GatewayToolCall>(
  ctx: WardenContext,
  kernel: KernelVersion,
  target: GatewayTarget,
  answer: { userText: string; content: string | null; toolCalls: readonly T[]; model: string; reference: string },
  caller: CheckCaller = {},
): Promise<SettledAnswer<T>> {
  try {
    return await settle(ctx, kernel, target, answer, caller);
  } catch (error) {
    if (error instanceof TokenRefusedError && caller.tokenId) forgetToken(ctx, caller.tokenId);
    throw error;
  }
}

async function settle<T extends GatewayToolCall>(
  ctx: WardenContext,
  kernel: KernelVersion,
  target: GatewayTarget,
  answer: { userText: string; content: string | null; toolCalls: readonly T[]; model: string; reference: string },
  caller: CheckCaller,
): Promise<SettledAnswer<T>> {
  const verdicts = await gateToolCalls(ctx, target, answer.toolCalls, answer.reference, caller);
  const denied = verdicts.filter((v) => !v.allowed);
  const kept = answer.toolCalls.filter((c) => !denied.some((d) => d.call === c));
  const refusal = denied.length === 0 ? '' : denialReason(denied);
  const content = refusal === '' ? answer.content : [answer.content, refusal].filter((s) => s).join('\n');
  const prompt = shadowPrompt(answer.userText);
  const recorded = prompt
    ? await recordLiveExchange(
        ctx,
        kernel,
        { prompt, response: liveAnswerText(content, kept), model: answer.model },
        Math.random,
        caller,
      )
    : null;
  // A cached token is re-validated by the writes above; an answer that wrote nothing reads it.
  if (caller.tokenId && !recorded && verdicts.every((v) => v.checkId === null)) {
    const refusal = await tokenRefusal(ctx.pool, caller.tokenId);
    if (refusal) throw new TokenRefusedError(refusal);
  }
  return { content, refusal, kept, verdicts, recorded };
}

/**
 * An exchange the agent's own model answered, sent by an SDK middleware (warden/ai-sdk,
 * docs/ai-sdk.md): settled as the OpenAI-compatible endpoint settles its answers. The reference
 * names the call, so a retried report records one verdict per tool call.
 */
export async function settleSdkExchange(
  ctx: WardenContext,
  target: GatewayTarget,
  request: SdkExchangeRequest,
  reference: string,
  caller: CheckCaller = {},
): Promise<SdkExchangeVerdict> {
  const kernel = await productionKernel(ctx, target.agent);
  const calls = request.toolCalls.map((c) => ({ id: c.id, function: { name: c.name, arguments: c.arguments } }));
  const settled = await settleAnswer(
    ctx,
    kernel,
    target,
    {
      userText: request.prompt,
      content: request.content,
      toolCalls: calls,
      model: request.model,
      reference,
    },
    caller,
  );
  return {
    agent: kernel.agentId,
    exchangeId: settled.recorded?.exchangeId ?? null,
    kernelVersion: kernel.version,
    shadowSamples: settled.recorded?.queued.length ?? 0,
    content: settled.content ?? '',
    refusal: settled.refusal,
    toolCalls: settled.verdicts.map((v) => ({
      id: v.call.id,
      name: v.call.function.name,
      allowed: v.allowed,
      reason: v.reason,
      checkId: v.checkId,
    })),
  };
}
