import type { IncomingMessage } from 'node:http';
import { gatewayTargetSchema, headerList } from '../../domain/gateways/gateway-target';
import { openAiChatRequestSchema } from '../../domain/gateways/openai-chat-request';
import { completeChat, completionEvents, listAgentModels } from '../../client/openai-gateway';
import { InvalidRequest } from '../invalid-request';
import { openAiErrorResponse } from '../openai-error';
import type { Route } from '../route';

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Which agent answers: `x-warden-agent` when sent, else the model name. Its ABP, the objective
 * tool calls serve and the irreversible tools come from `x-warden-abp`, `x-warden-objective` and
 * `x-warden-irreversible-tools` (an OpenAI SDK sets them once as default headers).
 */
function targetOf(req: IncomingMessage, model: string) {
  const parsed = gatewayTargetSchema.safeParse({
    agent: header(req, 'x-warden-agent') ?? model,
    abp: header(req, 'x-warden-abp'),
    objective: header(req, 'x-warden-objective'),
    irreversibleTools: headerList(header(req, 'x-warden-irreversible-tools')),
    role: header(req, 'x-warden-role'),
  });
  if (parsed.success) return parsed.data;
  throw new InvalidRequest(
    parsed.error.issues.map((i) => ({ field: `x-warden-${String(i.path[0] ?? 'agent')}`, message: i.message })),
  );
}

/** OpenAI's chat completions API in front of Warden's live path (docs/openai-compatible.md). */
export const openAiCompatibleRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/chat/completions',
    summary:
      "OpenAI-compatible chat: the agent's production kernel answers, shadows are queued, tool calls are checked",
    bodySchema: openAiChatRequestSchema,
    errorFormat: openAiErrorResponse,
    // Not served from the token cache: the model is called before anything is written, so a cached
    // token revoked elsewhere would still spend a model call. One token read is small next to it.
    async handler(ctx, req) {
      const body = openAiChatRequestSchema.parse(req.body);
      const caller = req.tokenId ? { tokenId: req.tokenId } : {};
      const completion = await completeChat(ctx, targetOf(req.raw, body.model), body, caller);
      if (!body.stream) return completion;
      return {
        contentType: 'text/event-stream; charset=utf-8',
        body: completionEvents(completion, body.stream_options?.include_usage === true),
      };
    },
  },
  {
    method: 'GET',
    path: '/v1/models',
    summary: 'OpenAI-compatible model list: one model per agent',
    errorFormat: openAiErrorResponse,
    handler: (ctx) => listAgentModels(ctx),
  },
];
