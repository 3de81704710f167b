import { z } from 'zod';
import { FREE_TEXT_BYTES, KEY_TEXT_BYTES, LINE_TEXT_BYTES, storableText } from '../input/storable-text';
import { gatewayTargetSchema, type GatewayTarget } from './gateway-target';

/**
 * LiteLLM's Generic Guardrail API request (`litellm[proxy]` 1.104.0,
 * `GenericGuardrailAPIRequest`), bounded. Fields Warden does not use (images, request_headers,
 * litellm_version) are accepted and dropped; unknown ones too, so a newer LiteLLM keeps working.
 */
const key = () => storableText(KEY_TEXT_BYTES);

const toolCall = z.looseObject({
  id: key().nullish(),
  function: z.looseObject({ name: key().min(1), arguments: storableText(FREE_TEXT_BYTES).nullish() }),
});

export const guardrailRequestSchema = z.object({
  input_type: z.enum(['request', 'response']),
  litellm_call_id: key().max(200).nullish(),
  litellm_trace_id: key().max(200).nullish(),
  texts: z.array(storableText(FREE_TEXT_BYTES)).max(512, 'at most 512 texts').nullish(),
  structured_messages: z
    .array(z.looseObject({ role: key() }))
    .max(512, 'at most 512 messages')
    .nullish(),
  tools: z
    .array(z.looseObject({ type: key() }))
    .max(256, 'at most 256 tools')
    .nullish(),
  tool_calls: z.array(toolCall).max(256, 'at most 256 tool calls').nullish(),
  request_data: z.record(z.string(), z.unknown()).nullish(),
  additional_provider_specific_params: z.record(z.string(), z.unknown()).nullish(),
  model: storableText(LINE_TEXT_BYTES).nullish(),
});

export type GuardrailRequest = z.output<typeof guardrailRequestSchema>;

export interface GuardrailResponse {
  action: 'BLOCKED' | 'NONE' | 'GUARDRAIL_INTERVENED';
  blocked_reason?: string;
  texts?: string[];
}

/**
 * Which agent and ABP: `additional_provider_specific_params` (from the guardrail's config.yaml,
 * merged with a request's dynamic `extra_body`) as `agent`, `abp`, `objective`,
 * `irreversible_tools`, `role`; the agent defaults to the request's model name.
 */
export function guardrailTarget(
  request: GuardrailRequest,
): { success: true; data: GatewayTarget } | { success: false; error: z.ZodError } {
  const p = request.additional_provider_specific_params ?? {};
  return gatewayTargetSchema.safeParse({
    agent: p.agent ?? p.warden_agent ?? request.model ?? undefined,
    abp: p.abp ?? p.warden_abp,
    objective: p.objective ?? p.warden_objective,
    irreversibleTools: p.irreversible_tools ?? p.warden_irreversible_tools ?? [],
    role: p.role ?? p.warden_role,
  });
}

/** The prompt of a request phase: the last user message when given, else the last text. */
export function guardrailPrompt(request: GuardrailRequest): string {
  const users = (request.structured_messages ?? []).filter((m) => m.role === 'user');
  const last = users.at(-1) as { content?: unknown } | undefined;
  if (typeof last?.content === 'string') return last.content;
  if (Array.isArray(last?.content)) {
    return last.content
      .map((p) =>
        p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string'
          ? (p as { text: string }).text
          : '',
      )
      .join('\n');
  }
  return request.texts?.at(-1) ?? '';
}
