import { setTimeout as sleep } from 'node:timers/promises';

export interface Reply {
  status: number;
  body: any;
}

/**
 * Calls the fleet's API processes as real clients do: a bearer token per principal, JSON in and
 * out. A request a dying worker left unanswered (a 5xx, or the connection dropped) is retried a
 * few times, as a client behind a load balancer would; what the retry then meets (e.g. "already
 * voted") is the caller's to judge. A request that is not safe to repeat (a chat: each one is
 * mirrored to the sandbox) is sent once.
 */
export class FleetClient {
  retries = 0;

  constructor(
    readonly apiUrls: string[],
    private readonly tokens: Map<string, string>,
  ) {}

  async call(
    api: number,
    method: string,
    path: string,
    as: string,
    body?: unknown,
    contentType = 'application/json',
    opts: { retry?: boolean } = {},
  ): Promise<Reply> {
    const attempts = opts.retry === false ? 1 : 4;
    const token = this.tokens.get(as);
    if (!token) throw new Error(`no token for ${as}`);
    const url = `${this.apiUrls[api % this.apiUrls.length]}${path}`;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(url, {
          method,
          headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
          signal: AbortSignal.timeout(180_000),
        });
        const text = await res.text();
        const reply = { status: res.status, body: text ? JSON.parse(text) : undefined };
        if (res.status < 500 || attempt >= attempts) return reply;
      } catch (error) {
        if (attempt >= attempts) throw error;
      }
      this.retries++;
      await sleep(1000 * attempt);
    }
  }
}

/** Runs `tasks` with at most `limit` at once (two cores: more only queues up in the server). */
export async function inParallel<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

export async function eventually<T>(
  what: string,
  check: () => Promise<T>,
  done: (value: T) => boolean,
  limitMs: number,
): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (done(value)) return value;
    if (Date.now() > until)
      throw new Error(`${what}: not done within ${limitMs / 1000} s; last: ${JSON.stringify(value).slice(0, 500)}`);
    await sleep(1000);
  }
}
