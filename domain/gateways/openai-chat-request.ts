import { z } from 'zod';
import { FREE_TEXT_BYTES, KEY_TEXT_BYTES, LINE_TEXT_BYTES, storableText } from '../input/storable-text';

/**
 * `POST /v1/chat/completions` as OpenAI's SDKs send it, bounded so that nothing unstorable or
 * unbounded reaches the model or PostgreSQL. Unknown OpenAI parameters are dropped rather than
 * refused: an SDK newer than this schema must keep working.
 */
const text = (bytes: number) => storableText(bytes);

const contentPart = z.object({ type: z.literal('text'), text: text(FREE_TEXT_BYTES) });

const toolCall = z.object({
  id: text(KEY_TEXT_BYTES).min(1),
  type: z.literal('function'),
  function: z.object({ name: text(KEY_TEXT_BYTES).min(1), arguments: text(FREE_TEXT_BYTES) }),
});

const message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z
    .union([text(FREE_TEXT_BYTES), z.array(contentPart).max(64)])
    .nullable()
    .optional(),
  name: text(KEY_TEXT_BYTES).optional(),
  tool_calls: z.array(toolCall).max(128).optional(),
  tool_call_id: text(KEY_TEXT_BYTES).optional(),
});

const tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: text(KEY_TEXT_BYTES).min(1).max(64),
    description: text(LINE_TEXT_BYTES).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

export const openAiChatRequestSchema = z.object({
  model: text(KEY_TEXT_BYTES).min(1, 'names the agent (or any name, with an x-warden-agent header)').max(200),
  messages: z.array(message).min(1, 'at least one message').max(256, 'at most 256 messages'),
  tools: z.array(tool).max(128, 'at most 128 tools').optional(),
  tool_choice: z
    .union([
      z.enum(['none', 'auto', 'required']),
      z.object({ type: z.literal('function'), function: z.object({ name: text(KEY_TEXT_BYTES) }) }),
    ])
    .optional(),
  stream: z.boolean().default(false),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).optional(),
  user: text(KEY_TEXT_BYTES).optional(),
});

export type OpenAiChatRequest = z.output<typeof openAiChatRequestSchema>;
export type OpenAiChatMessage = OpenAiChatRequest['messages'][number];

/** A message's text: string content as is, text parts joined. */
export function messageText(m: { content?: string | { text: string }[] | null }): string {
  if (typeof m.content === 'string') return m.content;
  return (m.content ?? []).map((p) => p.text).join('\n');
}

/** The prompt a shadow sample replays: the caller's last user turn. */
export function lastUserText(messages: readonly OpenAiChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === 'user') return messageText(messages[i]!);
  return '';
}
