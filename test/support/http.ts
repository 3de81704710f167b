import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { createApiServer } from '../../api/server';
import type { IntegrationContext } from './integration';

export interface ApiCall {
  status: number;
  body: any;
}

/** Per test file: the Warden HTTP API on a free port over this file's context, and a JSON caller. */
export function useApiServer(ctx: IntegrationContext): (method: string, path: string, body?: unknown, contentType?: string) => Promise<ApiCall> {
  let server: Server | undefined;
  let base = '';
  beforeAll(async () => {
    server = createApiServer(ctx);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });
  return async (method, path, body, contentType = 'application/json') => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': contentType },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
}
