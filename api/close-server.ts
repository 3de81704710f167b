import type { Server } from 'node:http';
import type { WardenContext } from '../client/context';

/**
 * Stops the HTTP API without losing what it accepted: no new connections, idle ones closed, every
 * request in flight answered (an action check only after its verdict's group commit), then the
 * context's deferred work settled. Bounded by `graceMs` for clients that hold a connection open.
 */
export async function closeApiServer(server: Server, ctx: WardenContext, graceMs = 10_000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  await ctx.deferred.settle();
}
