import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { createApiServer } from '../../api/server';
import { createApiToken } from '../../db/access/api-tokens';
import { addPrincipal } from '../../db/access/principals';
import type { IntegrationContext } from './integration';

export interface ApiCall {
  status: number;
  body: any;
}

export type ApiCaller = ((method: string, path: string, body?: unknown, contentType?: string) => Promise<ApiCall>) & {
  /** The server's port, for requests no JSON caller would send (see raw-http.ts). */
  port(): number;
  /** A bearer token for `principal` (an admin operator when omitted). */
  token(principal?: string): Promise<string>;
};

/**
 * Per test file: the Warden HTTP API on a free port over this file's context, and a JSON caller
 * that signs in as whoever the request acts for — the body's or query's `as` — with a real bearer
 * token minted for that principal; requests acting for nobody (or for an unknown principal) sign
 * in as an admin operator.
 */
export function useApiServer(ctx: IntegrationContext): ApiCaller {
  let server: Server | undefined;
  let base = '';
  const tokens = new Map<string, string>();
  const operator = `http-operator-${Math.random().toString(16).slice(2, 8)}`;
  beforeAll(async () => {
    server = createApiServer(ctx);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await addPrincipal(ctx.pool, operator, ['admin']);
  });
  afterAll(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });
  const tokenFor = async (principal: string): Promise<string | undefined> => {
    if (!tokens.has(principal)) {
      try {
        tokens.set(principal, (await createApiToken(ctx.pool, { principal })).token);
      } catch {
        // An unknown principal can have no token: the operator's is sent, and the API refuses the
        // request for acting as someone else (403), as it would for any such caller.
        return tokenFor(operator);
      }
    }
    return tokens.get(principal);
  };
  const caller = async (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<ApiCall> => {
    const query = new URL(path, 'http://x').searchParams.get('as');
    const named =
      body !== null && typeof body === 'object' && typeof (body as { as?: unknown }).as === 'string'
        ? (body as { as: string }).as
        : query;
    const token = await tokenFor(named ?? operator);
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  return Object.assign(caller, {
    port: () => (server!.address() as AddressInfo).port,
    token: async (principal?: string) => (await tokenFor(principal ?? operator))!,
  });
}
