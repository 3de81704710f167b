import { setTimeout as sleep } from 'node:timers/promises';
import { isUnreachable } from '../client/errors';

/**
 * Runs `attempt` until it succeeds, retrying while the service it talks to is not up yet (a refused
 * or timed-out connection), for at most `timeoutMs`. `npm start` starts the worker alongside the
 * database and Temporal rather than after them, and a deployment may start them in any order.
 */
export async function retryUntilUp<T>(what: string, attempt: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!isUnreachable(error) || Date.now() > deadline) {
        if (isUnreachable(error))
          throw new Error(`${what} did not come up within ${timeoutMs / 1000} s: ${(error as Error).message}`, {
            cause: error,
          });
        throw error;
      }
      await sleep(200);
    }
  }
}
