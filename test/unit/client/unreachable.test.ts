import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { isUnreachable } from '../../../client/errors';
import { freePort } from '../../../toolchain/child-process';

/**
 * `npm start` retries its first Temporal connection while nothing listens yet (retryUntilUp): a
 * process that runs a worker now makes that connection a NativeConnection (eager workflow start),
 * whose refusal reads differently from the gRPC client's.
 */
describe('isUnreachable', () => {
  it("takes a refused NativeConnection (the worker's) as unreachable", async () => {
    const port = await freePort();
    const error = await NativeConnection.connect({ address: `127.0.0.1:${port}` }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(isUnreachable(error)).toBe(true);
  });

  it('takes a refused client Connection as unreachable, as before', async () => {
    const port = await freePort();
    const error = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: '2s' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isUnreachable(error)).toBe(true);
  });

  it('does not take a refusal by a server that answered as unreachable', () => {
    expect(isUnreachable(new Error('Workflow execution already started'))).toBe(false);
  });
});
