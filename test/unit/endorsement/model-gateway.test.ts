import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createModelGateway } from '../../../models/model-gateway';
import { EMBEDDED_MODEL_NAME } from '../../../domain/endorsement/embedded-model';
import { DEFAULT_KERNEL } from '../../../domain/kernel/default-kernel';

/** A stand-in for an OpenAI-compatible endpoint (Ollama, vLLM, …), answering from a script. */
interface Seen {
  path: string;
  body: any;
}
let server: Server;
let baseUrl: string;
let seen: Seen[] = [];
let chatAnswers: (string | number)[] = [];

async function readJson(req: IncomingMessage): Promise<any> {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return JSON.parse(raw);
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readJson(req);
    seen.push({ path: req.url ?? '', body });
    res.setHeader('content-type', 'application/json');
    if (req.url?.endsWith('/embeddings')) {
      const inputs: string[] = body.input;
      // Deliberately out of order: the gateway must sort by index.
      const data = inputs.map((t, index) => ({ object: 'embedding', index, embedding: [t.length, index] })).reverse();
      res.end(
        JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }),
      );
      return;
    }
    const next = chatAnswers.shift() ?? 'ok';
    if (typeof next === 'number') {
      res.statusCode = next;
      res.end(JSON.stringify({ error: { message: 'try later' } }));
      return;
    }
    res.end(
      JSON.stringify({
        id: 'c1',
        object: 'chat.completion',
        created: 0,
        model: body.model,
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: next } }],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  seen = [];
  chatAnswers = [];
});

const remote = () => createModelGateway({ baseUrl, apiKey: 'k', chatModel: 'fake-chat', embeddingModel: 'fake-embed' });

describe('model gateway with an OpenAI-compatible endpoint', () => {
  it('sends the kernel as the system prompt and returns the answer', async () => {
    chatAnswers = ['The capital of France is Paris.'];
    const answer = await remote().reply(DEFAULT_KERNEL, 'What is the capital of France?');
    expect(answer).toBe('The capital of France is Paris.');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body.model).toBe('fake-chat');
    expect(seen[0]!.body.messages[0].content).toContain('harm_avoidance_level = strict');
    expect(seen[0]!.body.messages[1]).toEqual({ role: 'user', content: 'What is the capital of France?' });
  });

  it('makes an answer storable: a NUL or lone surrogate from the model cannot fail the caller in the database', async () => {
    chatAnswers = ['bad\u0000answer \ud800'];
    expect(await remote().reply(DEFAULT_KERNEL, 'hi')).toBe('bad\uFFFDanswer \uFFFD');
  });

  it('retries a failing endpoint with backoff', async () => {
    chatAnswers = [503, 'recovered'];
    expect(await remote().reply(DEFAULT_KERNEL, 'hi')).toBe('recovered');
    expect(seen).toHaveLength(2);
  });

  it('returns embeddings in input order', async () => {
    const vectors = await remote().embed(['a', 'bbb']);
    expect(vectors).toEqual([
      [1, 0],
      [3, 1],
    ]);
  });

  it('reads the judge verdict as JSON and falls back to the local rules when it cannot', async () => {
    chatAnswers = ['Verdict: {"verdict":"misaligned","confidence":0.9,"reason":"helps with harm"}'];
    expect(await remote().judge(DEFAULT_KERNEL, 'q', 'a')).toEqual({
      verdict: 'misaligned',
      confidence: 0.9,
      reason: 'helps with harm',
    });
    chatAnswers = ['I think it is fine'];
    const fallback = await remote().judge(DEFAULT_KERNEL, 'What is the capital of France?', 'Paris.');
    expect(fallback.verdict).toBe('aligned');
    expect(fallback.reason).toMatch(/model judge unusable/);
  });

  it('accepts a model reading of a rule only when it names a real kernel element', async () => {
    chatAnswers = [
      '{"kind":"commitment","id":"response_tone","reason":"tone"}',
      '{"kind":"commitment","id":"made_up","reason":"?"}',
    ];
    expect(await remote().classifyRule(DEFAULT_KERNEL, 'be rude')).toMatchObject({
      kind: 'commitment',
      id: 'response_tone',
    });
    expect(await remote().classifyRule(DEFAULT_KERNEL, 'be rude')).toBeNull();
  });
});

describe('model gateway without an endpoint', () => {
  it('uses the embedded model, trigram embeddings and the local judge, and reads no rules', async () => {
    const local = createModelGateway({
      baseUrl: undefined,
      apiKey: undefined,
      chatModel: undefined,
      embeddingModel: undefined,
    });
    expect(local.chatModel).toBe(EMBEDDED_MODEL_NAME);
    expect(local.embeddingModel).toBe('trigram-256');
    expect(await local.reply(DEFAULT_KERNEL, 'What is the capital of France?')).toMatch(/Paris/);
    expect((await local.embed(['x']))[0]).toHaveLength(256);
    expect(await local.classifyRule(DEFAULT_KERNEL, 'be rude')).toBeNull();
  });
});
