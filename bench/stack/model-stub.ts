import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort, spawnManaged, stopChild, waitForPort } from '../../toolchain/child-process';

const runner = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const DEFAULT_ANSWER = 'Here is a careful, factual answer to your question.';

export interface ModelStub {
  baseUrl: string;
  /** Completions answered so far. */
  calls(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The stub in a child process of its own (bench/stack/model-stub-main.ts): a model server is
 * never on the event loop whose latency is measured.
 */
export async function startModelStub(latencyMs: number, answer = DEFAULT_ANSWER): Promise<ModelStub> {
  const port = await freePort();
  const child = spawnManaged('model-stub', process.execPath, [
    runner,
    'bench/stack/model-stub-main.ts',
    '--port',
    String(port),
    '--latency',
    String(latencyMs),
    '--answer',
    answer,
  ]);
  await waitForPort(port, 30_000, child);
  const baseUrl = `http://127.0.0.1:${port}/v1`;
  return {
    baseUrl,
    calls: async () => ((await (await fetch(`${baseUrl}/stub/calls`)).json()) as { calls: number }).calls,
    stop: () => stopChild(child, 5_000),
  };
}

/**
 * An OpenAI-compatible chat endpoint on 127.0.0.1 that answers every completion with the same
 * text after a fixed delay: the model's latency is a constant, so what varies is Warden's own.
 * `GET /v1/stub/calls` tells how many completions it has answered.
 */
export async function serveModelStub(
  port: number,
  latencyMs: number,
  answer = DEFAULT_ANSWER,
): Promise<{ baseUrl: string; stop(): Promise<void> }> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.endsWith('/stub/calls')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ calls }));
        return;
      }
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
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
