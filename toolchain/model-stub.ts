import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { embeddedReply } from '../domain/endorsement/embedded-model';
import { trigramEmbedding } from '../domain/endorsement/trigram-embedding';
import { DEFAULT_KERNEL } from '../domain/kernel/default-kernel';

/**
 * One scripted answer to the next request whose last user turn is `when`: text, tool calls, or an
 * HTTP failure status. Keyed by the turn because Warden's worker calls the same model in the
 * background (probes, shadow answers) while a test runs.
 */
export interface StubAnswer {
  when: string;
  content?: string | null;
  toolCalls?: { name: string; arguments?: string }[];
  status?: number;
}

export interface ModelStub {
  /** e.g. http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  /** Every request seen: path and parsed body. */
  seen: { path: string; body: any }[];
  /** Scripted answers, each used once; unscripted, the embedded model's answer under the default kernel. */
  script: StubAnswer[];
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<any> {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return raw === '' ? {} : JSON.parse(raw);
}

function lastUser(messages: any[]): string {
  const user = [...(messages ?? [])].reverse().find((m) => m.role === 'user');
  if (!user) return '';
  return typeof user.content === 'string'
    ? user.content
    : (user.content ?? []).map((p: any) => p.text ?? '').join('\n');
}

/**
 * A stand-in for an OpenAI-compatible model endpoint (Ollama, vLLM, …), for tests and benchmarks that drive real
 * clients (the OpenAI SDK, the LiteLLM proxy) through Warden: chat completions (streamed when
 * asked), embeddings and the model list. Unscripted, it answers as Warden's embedded model does under
 * the default kernel, so a live answer through it matches a production shadow answer.
 */
export async function startModelStub(): Promise<ModelStub> {
  const stub = { seen: [], script: [] } as unknown as ModelStub;
  const server: Server = createServer(async (req, res) => {
    const body = req.method === 'GET' ? {} : await readJson(req);
    stub.seen.push({ path: req.url ?? '', body });
    res.setHeader('content-type', 'application/json');
    if (req.url?.endsWith('/models')) {
      res.end(
        JSON.stringify({ object: 'list', data: [{ id: 'stub-chat', object: 'model', created: 0, owned_by: 'stub' }] }),
      );
      return;
    }
    if (req.url?.endsWith('/embeddings')) {
      const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
      const data = inputs.map((t, index) => ({ object: 'embedding', index, embedding: trigramEmbedding(t) }));
      res.end(
        JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }),
      );
      return;
    }
    const turn = lastUser(body.messages);
    const scripted = stub.script.findIndex((a) => a.when === turn);
    const next =
      scripted >= 0
        ? stub.script.splice(scripted, 1)[0]!
        : { when: turn, content: embeddedReply(DEFAULT_KERNEL, turn) };
    if (next.status !== undefined) {
      res.statusCode = next.status;
      res.end(JSON.stringify({ error: { message: 'scripted failure', type: 'server_error' } }));
      return;
    }
    const toolCalls = (next.toolCalls ?? []).map((c, i) => ({
      id: `call_${i}_${c.name.replace(/\W/g, '_')}`,
      type: 'function',
      function: { name: c.name, arguments: c.arguments ?? '{}' },
    }));
    const message = {
      role: 'assistant',
      content: next.content ?? null,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    };
    const finish = toolCalls.length > 0 ? 'tool_calls' : 'stop';
    const usage = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };
    if (body.stream) {
      res.setHeader('content-type', 'text/event-stream');
      const chunk = (delta: object, finish_reason: string | null) =>
        `data: ${JSON.stringify({ id: 'stub-1', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: message.content ?? '' }, null));
      if (toolCalls.length > 0) res.write(chunk({ tool_calls: toolCalls.map((c, index) => ({ index, ...c })) }, null));
      res.write(chunk({}, finish));
      res.end('data: [DONE]\n\n');
      return;
    }
    res.end(
      JSON.stringify({
        id: 'stub-1',
        object: 'chat.completion',
        created: 0,
        model: body.model,
        choices: [{ index: 0, finish_reason: finish, message }],
        usage,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  stub.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return stub;
}
