import type { GatewayToolCall } from './tool-call-action';

/** What a shadow sample compares for one live exchange; the live prompt is clipped to what chat accepts. */
export const SHADOW_PROMPT_CHARS = 8000;

export function shadowPrompt(text: string): string {
  return text.trim().slice(0, SHADOW_PROMPT_CHARS);
}

/** The live answer as text: its content, then one line per tool call (a tool-only answer is still an answer). */
export function liveAnswerText(content: string | null | undefined, toolCalls: readonly GatewayToolCall[] = []): string {
  const calls = toolCalls.map((c) => `[tool call ${c.function.name}(${(c.function.arguments ?? '').slice(0, 500)})]`);
  return [content ?? '', ...calls].filter((s) => s.length > 0).join('\n');
}
