import { createServer, type Server } from 'node:http';
import { freePort } from './free-port';

export interface ModelStub {
  baseUrl: string;
  /** Completions answered so far. */
  calls(): number;
  stop(): Promise<void>;
}

/**
 * An OpenAI-compatible chat endpoint on 127.0.0.1 that answers every completion with the same
 * text after a fixed delay: the model's latency is a constant, so what varies is Warden's own.
 */
export async function startModelStub(latencyMs: number, answer = 'Here is a careful, factual answer to your question.'): Promise<ModelStub> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `the stub serves only chat completions, not ${req.url}` } }));
        return;
      }
      let model = 'stub';
      try {
        model = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model?: string }).model ?? model;
      } catch {
        // The stub answers whatever it is sent; the model name is only echoed back.
      }
      setTimeout(() => {
        calls += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: `chatcmpl-${calls}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model,
            choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      }, latencyMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    calls: () => calls,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
