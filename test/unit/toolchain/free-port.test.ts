import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../toolchain/child-process';

describe('freePort', () => {
  it('picks a port below the range the OS hands to outgoing connections, and a server can listen on it', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThanOrEqual(32_767);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
