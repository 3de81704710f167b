import type { LanguageModelMiddleware } from 'ai';
import type { SdkExchangeVerdict } from '../domain/gateways/sdk-exchange-request';

/**
 * Warden for the Vercel AI SDK (`warden/ai-sdk`, docs/ai-sdk.md): a `wrapLanguageModel`
 * middleware that puts an agent's own model behind Warden without changing its code. Once the
 * model has answered, the exchange goes to Warden (`POST /api/v1/gateway/exchanges` with a Warden
 * API token): Warden checks each tool call against the agent's ABP and records the exchange for
 * every staged change's shadow. A denied call is removed and a refusal line naming it and
 * Warden's reason is added to the text, as Warden's OpenAI-compatible endpoint does; allowed calls
 * pass unchanged. When streaming, text flows through at once and tool calls are held until Warden
 * has checked them. Calls the provider executes itself cannot be stopped and are not checked.
 *
 * An HTTP client of Warden only: nothing here imports Warden's server code, and the AI SDK is
 * needed for its types only.
 */
export interface WardenMiddlewareOptions {
  /** Warden's API base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** A Warden API token (sent as Bearer). */
  token: string;
  /** The agent whose exchanges these are. */
  agent: string;
  /** The agent's ABP; without one Warden denies every tool call (a gateway fails closed). */
  abp?: string;
  /** The objective (an id of the ABP's objectives.allowed) the tool calls serve. */
  objective?: string;
  /** Tools whose calls cannot be undone. */
  irreversibleTools?: string[];
  /** The acting role data permissions are checked for. */
  role?: string;
  /** Called with Warden's verdict on every exchange (logging, metrics). */
  onVerdict?: (verdict: WardenVerdict) => void;
  /** The fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

export type WardenVerdict = SdkExchangeVerdict;

/** Warden could not be asked: the call fails rather than let a tool call through unchecked. */
export class WardenGatewayError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WardenGatewayError';
  }
}

type WrapGenerate = NonNullable<LanguageModelMiddleware['wrapGenerate']>;
type CallOptions = Parameters<WrapGenerate>[0]['params'];
type GenerateResult = Awaited<ReturnType<WrapGenerate>>;
type Content = GenerateResult['content'][number];
type FinishReason = GenerateResult['finishReason'];
type StreamResult = Awaited<ReturnType<NonNullable<LanguageModelMiddleware['wrapStream']>>>;
type StreamPart = StreamResult['stream'] extends ReadableStream<infer P> ? P : never;
type ToolCall = Extract<Content, { type: 'tool-call' }>;
type HeldToolPart = Extract<StreamPart, { type: 'tool-input-start' | 'tool-input-delta' | 'tool-input-end' }>;

/** The caller's last turn: what the shadow compares. */
function lastUserText(params: CallOptions): string {
  const user = [...params.prompt].reverse().find((m) => m.role === 'user');
  if (!user || user.role !== 'user') return '';
  return user.content
    .map((p) => (p.type === 'text' ? p.text : ''))
    .filter((t) => t)
    .join('\n');
}

/** The calls Warden can still stop: those the caller's code will execute. */
const isGated = (c: { type: string; providerExecuted?: boolean | undefined }): c is ToolCall =>
  c.type === 'tool-call' && c.providerExecuted !== true;

/** Without an allowed call left, the answer no longer asks for tools: the caller's loop stops. */
function finishAfter(reason: FinishReason, keptCalls: number): FinishReason {
  return reason.unified === 'tool-calls' && keptCalls === 0 ? { unified: 'stop', raw: reason.raw } : reason;
}

export function wardenMiddleware(options: WardenMiddlewareOptions): LanguageModelMiddleware {
  const doFetch = options.fetch ?? globalThis.fetch;
  const endpoint = `${options.url.replace(/\/+$/, '')}/api/v1/gateway/exchanges`;

  async function settle(params: CallOptions, modelId: string, text: string, calls: ToolCall[]) {
    const body = {
      agent: options.agent,
      ...(options.abp ? { abp: options.abp } : {}),
      ...(options.objective ? { objective: options.objective } : {}),
      ...(options.irreversibleTools ? { irreversibleTools: options.irreversibleTools } : {}),
      ...(options.role ? { role: options.role } : {}),
      prompt: lastUserText(params),
      content: text,
      toolCalls: calls.map((c) => ({ id: c.toolCallId, name: c.toolName, arguments: c.input })),
      callId: globalThis.crypto.randomUUID(),
      model: modelId,
    };
    let response: Response;
    try {
      response = await doFetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new WardenGatewayError(`Warden is unreachable at ${endpoint}: ${(error as Error).message}`);
    }
    if (!response.ok) {
      const detail = await response.text().catch(() => '');
      throw new WardenGatewayError(`Warden refused the exchange (${response.status}): ${detail}`, response.status);
    }
    const verdict = (await response.json()) as WardenVerdict;
    options.onVerdict?.(verdict);
    const allowed = new Set(verdict.toolCalls.filter((v) => v.allowed).map((v) => v.id));
    return { verdict, allowed };
  }

  return {
    specificationVersion: 'v4',

    async wrapGenerate({ doGenerate, params, model }) {
      const result = await doGenerate();
      const calls = result.content.filter(isGated);
      const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
      const { verdict, allowed } = await settle(params, model.modelId, text, calls);
      const content: Content[] = result.content.filter((c) => !isGated(c) || allowed.has(c.toolCallId));
      if (verdict.refusal) content.push({ type: 'text', text: text ? `\n${verdict.refusal}` : verdict.refusal });
      return { ...result, content, finishReason: finishAfter(result.finishReason, allowed.size) };
    },

    async wrapStream({ doStream, params, model }) {
      const { stream, ...rest } = await doStream();
      let text = '';
      const held: (HeldToolPart | ToolCall)[] = [];
      const calls: ToolCall[] = [];
      let finish: Extract<StreamPart, { type: 'finish' }> | null = null;

      // Text passes at once; tool calls wait here until Warden has checked them, then the allowed
      // ones are released in their order, a refusal follows, and the finish part comes last.
      const gate = new TransformStream<StreamPart, StreamPart>({
        transform(part, controller) {
          if (part.type === 'text-delta') text += part.delta;
          if (part.type === 'tool-input-start' && part.providerExecuted) return controller.enqueue(part);
          if (part.type === 'tool-input-start' || part.type === 'tool-input-delta' || part.type === 'tool-input-end')
            return void held.push(part);
          if (isGated(part)) {
            calls.push(part);
            return void held.push(part);
          }
          if (part.type === 'finish') return void (finish = part);
          controller.enqueue(part);
        },
        async flush(controller) {
          const { verdict, allowed } = await settle(params, model.modelId, text, calls);
          const denied = new Set(calls.filter((c) => !allowed.has(c.toolCallId)).map((c) => c.toolCallId));
          for (const part of held)
            if (!denied.has(part.type === 'tool-call' ? part.toolCallId : part.id)) controller.enqueue(part);
          if (verdict.refusal) {
            const id = 'warden-refusal';
            controller.enqueue({ type: 'text-start', id });
            controller.enqueue({ type: 'text-delta', id, delta: text ? `\n${verdict.refusal}` : verdict.refusal });
            controller.enqueue({ type: 'text-end', id });
          }
          if (finish) controller.enqueue({ ...finish, finishReason: finishAfter(finish.finishReason, allowed.size) });
        },
      });
      return { ...rest, stream: stream.pipeThrough(gate) };
    },
  };
}
