import { z } from 'zod';
import { KEY_TEXT_BYTES, storableText } from '../input/storable-text';

/**
 * Which agent an exchange that arrives through a gateway belongs to, and the boundary its tool
 * calls are checked against. The OpenAI-compatible endpoint reads it from the model name and
 * `x-warden-*` headers, the LiteLLM guardrail from its params or the request's metadata.
 */
export const gatewayTargetSchema = z.object({
  agent: storableText(KEY_TEXT_BYTES).min(1, 'names the agent').max(200),
  /** The agent's ABP; without one a tool call cannot be checked and is refused (fail closed). */
  abp: storableText(KEY_TEXT_BYTES).min(1).max(200).optional(),
  /** The objective (an id of the ABP's objectives.allowed) tool calls serve. */
  objective: storableText(KEY_TEXT_BYTES).min(1).max(200).optional(),
  /** Tools whose calls cannot be undone: a block of one re-evaluates the ABP's triggers. */
  irreversibleTools: z.array(storableText(KEY_TEXT_BYTES).min(1).max(200)).max(256).default([]),
  /** The acting role data permissions are checked for. */
  role: storableText(KEY_TEXT_BYTES).min(1).max(200).optional(),
});

export type GatewayTarget = z.output<typeof gatewayTargetSchema>;

/** A comma-separated header value as a list (`a, b` → ['a', 'b']). */
export function headerList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}
