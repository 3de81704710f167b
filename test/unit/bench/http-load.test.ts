import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpLoadInChild } from '../../../bench/http-load';
import { checkedPoster } from '../../../bench/http-post';
import { rawCheckedPoster } from '../../../bench/raw-http-post';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
  socket: unknown;
}

let server: Server | undefined;

/** A server whose `n`th answer (from 0) is `answer(n)`; records what each request carried. */
async function serve(answer: (n: number) => { status: number; body: string }): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = seen.length;
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
        socket: req.socket,
      });
      const { status, body } = answer(n);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/check?x=1`, seen };
}

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

const post = (url: string) => ({
  url,
  headers: { 'content-type': 'application/json', authorization: 'Bearer t0k' },
  body: JSON.stringify({ tool: 'ats.read' }),
  expect: '"decision":\\s*"allowed"',
});

describe.each([
  ['node:http', checkedPoster],
  ['HTTP/1.1 by hand over net', rawCheckedPoster],
] as const)('the load generator (%s) checks every answer', (_name, poster) => {
  it('sends the POST as given, over at most one kept-alive connection per lane', async () => {
    const { url, seen } = await serve(() => ({ status: 200, body: '{"decision": "allowed"}' }));
    const p = poster(post(url), 2);
    try {
      for (let i = 0; i < 3; i++) await Promise.all([p.send(), p.send()]);
    } finally {
      p.close();
    }
    expect(seen).toHaveLength(6);
    for (const s of seen) {
      expect(s).toMatchObject({ method: 'POST', url: '/check?x=1', authorization: 'Bearer t0k' });
      expect(JSON.parse(s.body)).toEqual({ tool: 'ats.read' });
    }
    expect(new Set(seen.map((s) => s.socket)).size).toBeLessThanOrEqual(2);
  });

  it('rejects a 200 whose body does not match, and any other status', async () => {
    const answers = [
      { status: 200, body: '{"decision": "blocked"}' },
      { status: 500, body: '{"decision": "allowed"}' },
      { status: 200, body: '{"decision": "allowed"}' },
    ];
    const { url } = await serve((n) => answers[n]!);
    const p = poster(post(url), 1);
    try {
      await expect(p.send()).rejects.toThrow(/HTTP 200 \{"decision": "blocked"\}/);
      await expect(p.send()).rejects.toThrow(/HTTP 500/);
      await expect(p.send()).resolves.toBeUndefined();
    } finally {
      p.close();
    }
  });

  it('reads an answer framed by chunks as whole, and one split over several reads', async () => {
    const { url } = await serve(() => ({ status: 200, body: '' }));
    // A handler that writes its answer in pieces: node:http then frames it with chunked encoding.
    server!.removeAllListeners('request');
    server!.on('request', (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"decision":');
        setTimeout(() => res.end(' "allowed"}'), 5);
      });
    });
    const p = poster(post(url), 1);
    try {
      for (let i = 0; i < 3; i++) await expect(p.send()).resolves.toBeUndefined();
    } finally {
      p.close();
    }
  });

  it('rejects when the server is gone', async () => {
    const { url } = await serve(() => ({ status: 200, body: '{"decision": "allowed"}' }));
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const p = poster(post(url), 1);
    try {
      await expect(p.send()).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      p.close();
    }
  });
});

describe('the load generator in its child process', () => {
  it("fails the whole load from its child process on one bad answer, and reports the generator's CPU otherwise", async () => {
    const good = await serve(() => ({ status: 200, body: '{"decision": "allowed"}' }));
    const load = { ...post(good.url), warmup: 5, requests: 40, concurrency: 4, generator: 'raw' as const };
    const result = await httpLoadInChild(load);
    expect(result.latencies).toHaveLength(40);
    expect(result.latencies.every((ms) => ms >= 0)).toBe(true);
    expect(result.cpuMs).toBeGreaterThan(0);
    expect(good.seen).toHaveLength(45);
    await new Promise((resolve) => server!.close(resolve));

    // The 30th answer (a measured one) is a blocked verdict: the load must not count it.
    const bad = await serve((n) => ({ status: 200, body: `{"decision": "${n === 30 ? 'blocked' : 'allowed'}"}` }));
    await expect(httpLoadInChild({ ...load, url: bad.url })).rejects.toThrow(/exited with code [1-9]/);
  }, 120_000);

  it('numbers each request when asked (every id its own, however many rows) and takes any 2xx, e.g. 201', async () => {
    const { url, seen } = await serve(() => ({ status: 201, body: '{"decision": "allowed"}' }));
    const poster = checkedPoster(
      { ...post(url), body: '{"id": "row-{n}-0"}\n{"id": "row-{n}-1"}', numbered: '{n}' },
      2,
    );
    try {
      for (let i = 0; i < 2; i++) await Promise.all([poster.send(), poster.send()]);
    } finally {
      poster.close();
    }
    const ids = seen.flatMap((s) => s.body.split('\n').map((line) => (JSON.parse(line) as { id: string }).id));
    expect(ids.sort()).toEqual([
      'row-0-0',
      'row-0-1',
      'row-1-0',
      'row-1-1',
      'row-2-0',
      'row-2-1',
      'row-3-0',
      'row-3-1',
    ]);
  });
});
