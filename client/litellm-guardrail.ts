import { randomUUID } from 'node:crypto';
import { openGatewayExchange, takeGatewayExchange } from '../db/gateways/open-exchanges';
import { appendProvenance, withProvenanceTransaction } from '../db/provenance/log';
import { ANCHOR_INTENTS, classifyRequest } from '../domain/endorsement/request-intent';
import { liveAnswerText, shadowPrompt } from '../domain/gateways/exchange-text';
import type { GatewayTarget } from '../domain/gateways/gateway-target';
import type { GuardrailRequest, GuardrailResponse } from '../domain/gateways/litellm-guardrail-request';
import { guardrailPrompt } from '../domain/gateways/litellm-guardrail-request';
import type { GatewayToolCall } from '../domain/gateways/tool-call-action';
import type { WardenContext } from './context';
import { productionKernel, recordLiveExchange } from './endorsement';
import { denialReason, gateToolCalls } from './gateway-tool-gate';

/**
 * LiteLLM's Generic Guardrail API on Warden (docs/litellm-guardrail.md). The request phase checks
 * the prompt against the kernel's axiomatic anchors and opens the exchange; the response phase
 * records the exchange (prompt + LiteLLM's live answer) and queues it for every staged change's
 * shadow, which never touches the answer. In both phases every tool call is checked against the
 * agent's ABP as an action; one denial BLOCKs with the validators' reasons.
 */
export async function guardrailCheck(
  ctx: WardenContext,
  target: GatewayTarget,
  request: GuardrailRequest,
): Promise<GuardrailResponse> {
  const kernel = await productionKernel(ctx, target.agent);
  const callId = request.litellm_call_id ?? `call-${randomUUID()}`;
  const calls = (request.tool_calls ?? []) as GatewayToolCall[];
  const verdicts = await gateToolCalls(
    ctx,
    target,
    calls,
    `litellm/${kernel.agentId}/${request.litellm_trace_id ?? callId}`,
  );
  const denied = verdicts.filter((v) => !v.allowed);
  if (denied.length > 0) return { action: 'BLOCKED', blocked_reason: denialReason(denied) };

  if (request.input_type === 'request') {
    const prompt = shadowPrompt(guardrailPrompt(request));
    const anchor = ANCHOR_INTENTS[classifyRequest(prompt)];
    if (anchor && kernel.definition.anchors.some((a) => a.id === anchor)) {
      // Recorded like any refusal: who, which anchor, which call; never the prompt.
      await withProvenanceTransaction(ctx.pool, (tx) =>
        appendProvenance(tx, ctx.provenanceKey, {
          kind: 'gateway.request_blocked',
          subject: `agent:${kernel.agentId}`,
          actor: kernel.agentId,
          payload: { anchor, litellm_call_id: callId, kernel_version: kernel.version },
        }),
      );
      return {
        action: 'BLOCKED',
        blocked_reason: `Warden: the request asks for what the kernel anchor ${anchor} of ${kernel.agentId} forbids`,
      };
    }
    if (prompt)
      await openGatewayExchange(
        ctx.pool,
        { callId, agentId: kernel.agentId, kernelVersion: kernel.version, prompt },
        ctx.config.gatewayExchangeTtlSeconds,
      );
    return { action: 'NONE' };
  }

  const opened = await takeGatewayExchange(ctx.pool, callId);
  const response = liveAnswerText((request.texts ?? []).join('\n'), calls);
  if (opened && response) {
    await recordLiveExchange(ctx, kernel, { prompt: opened.prompt, response, model: request.model ?? 'litellm' });
  }
  return { action: 'NONE' };
}
