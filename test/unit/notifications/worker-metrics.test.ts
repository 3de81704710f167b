import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { workerMetricsText } from '../../../api/worker-metrics';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(status: number, body: string): Promise<string> {
  server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

describe('the Temporal SDK series appended to /metrics', () => {
  it('passes the SDK exposition through, ending in a newline', async () => {
    const url = await serve(200, '# TYPE temporal_worker_start counter\ntemporal_worker_start{task_queue="warden"} 1');
    expect(await workerMetricsText(url)).toBe(
      '# TYPE temporal_worker_start counter\ntemporal_worker_start{task_queue="warden"} 1\n',
    );
  });

  it('turns an error answer or an unreachable endpoint into a comment, never a failed scrape', async () => {
    const url = await serve(503, 'down');
    expect(await workerMetricsText(url)).toBe(`# Temporal SDK worker metrics unavailable: ${url} answered 503\n`);
    // The same port once nothing listens on it.
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const text = await workerMetricsText(url);
    expect(text).toMatch(/^# Temporal SDK worker metrics unavailable: [^\n]+\n$/);
  });

  it('adds nothing when no worker runs in the process', async () => {
    expect(await workerMetricsText(undefined)).toBe('');
  });
});
