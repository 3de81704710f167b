import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WardenContext } from '../../../client/context';
import { RouteTable } from '../../../api/route-table';
import type { Route } from '../../../api/route';
import { createApiServer } from '../../../api/server';

const handler = async () => ({});
const routes: Route[] = [
  { method: 'GET', path: '/api/v1/abps/:id', handler, public: true },
  { method: 'POST', path: '/api/v1/abps/:id/actions/check', handler, public: true },
  { method: 'POST', path: '/api/v1/abps/:id/actions/:check_id/outcome', handler, public: true },
  { method: 'GET', path: '/api/v1/abps/new', handler, public: true },
];

function status(attempt: () => unknown): number | undefined {
  try {
    attempt();
  } catch (error) {
    return (error as { status?: number }).status;
  }
  return undefined;
}

describe('the route table', () => {
  it('matches in order, with the path parameters as sent, the same when the path is asked again', () => {
    const table = new RouteTable(routes);
    for (let i = 0; i < 3; i++) {
      const check = table.match('POST', '/api/v1/abps/abp%2D1/actions/check');
      expect(check.route).toBe(routes[1]);
      expect(check).toMatchObject({ names: ['id'], values: ['abp%2D1'] });
      // The first route in order wins, as before: `:id` is listed before the literal `new`.
      expect(table.match('GET', '/api/v1/abps/new').route).toBe(routes[0]);
      expect(table.match('POST', '/api/v1/abps/a/actions/c-9/outcome/')).toMatchObject({
        route: routes[2],
        values: ['a', 'c-9'],
      });
    }
  });

  it('answers 404 for a path no route has and 405 for a method the path lacks, also after the path matched once', () => {
    const table = new RouteTable(routes);
    expect(table.match('POST', '/api/v1/abps/x/actions/check').route).toBe(routes[1]);
    expect(status(() => table.match('GET', '/api/v1/abps/x/actions/check'))).toBe(405);
    expect(status(() => table.match('DELETE', '/api/v1/abps/x'))).toBe(405);
    expect(status(() => table.match('POST', '/api/v1/abps//actions/check'))).toBe(404);
    expect(status(() => table.match('POST', '/api/v1/abps/x/actions/check//'))).toBe(404);
    expect(status(() => table.match('GET', '/api/v2/abps/x'))).toBe(404);
  });

  it('keeps telling paths apart when more paths than it remembers were asked', () => {
    const table = new RouteTable(routes);
    for (let i = 0; i < 2_500; i++) {
      expect(table.match('POST', `/api/v1/abps/abp-${i}/actions/check`).values).toEqual([`abp-${i}`]);
    }
    expect(table.match('POST', '/api/v1/abps/abp-7/actions/check').values).toEqual(['abp-7']);
  });
});

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** POSTs `parts` (written one after the other, 20 ms apart) to a route that echoes the body it was given. */
async function post(parts: Buffer[], contentType: string): Promise<{ status: number; body: unknown }> {
  const echo: Route = {
    method: 'POST',
    path: '/echo',
    public: true,
    handler: async (_ctx, req) => ({ received: req.body === undefined ? '(none)' : req.body }),
  };
  server = createApiServer({} as WardenContext, [echo]);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const answer = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/echo',
      headers: { 'content-type': contentType },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
      );
    });
    req.on('error', reject);
    const write = (i: number) => {
      if (i === parts.length) return void req.end();
      req.write(parts[i]!);
      setTimeout(() => write(i + 1), 20);
    };
    write(0);
  });
  await new Promise((resolve) => server!.close(resolve));
  server = undefined;
  return answer;
}

describe('the request body', () => {
  it('is parsed as JSON when it arrives in several chunks, a multi-byte character split between them', async () => {
    const bytes = Buffer.from(JSON.stringify({ name: 'Zoë 🦉', n: [1, 2] }));
    const cut = bytes.indexOf(Buffer.from('🦉')) + 2;
    expect(await post([bytes.subarray(0, cut), bytes.subarray(cut)], 'application/json')).toEqual({
      status: 200,
      body: { received: { name: 'Zoë 🦉', n: [1, 2] } },
    });
  });

  it('is none when empty, text for NDJSON, and a 400 naming the fault when it is not JSON', async () => {
    expect(await post([], 'application/json')).toEqual({ status: 200, body: { received: '(none)' } });
    expect(await post([Buffer.from('{"a":1}\n'), Buffer.from('{"a":2}\n')], 'application/x-ndjson')).toEqual({
      status: 200,
      body: { received: '{"a":1}\n{"a":2}\n' },
    });
    const bad = await post([Buffer.from('{"a":'), Buffer.from('1')], 'application/json');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('request body is not valid JSON');
  });
});
