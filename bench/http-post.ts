import { Agent, request } from 'node:http';

/** One POST whose answer must be 2xx with a body matching `expect`. */
export interface CheckedPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** A regular expression every answer's body must match, e.g. `"decision":\\s*"allowed"`. */
  expect: string;
  /**
   * When set, each occurrence of this token in `body` is replaced by the request's number (from 0,
   * counted over every send of the poster), for a load whose requests must each store rows of their own.
   */
  numbered?: string;
}

/**
 * A closed-loop load generator's client, as wrk or autocannon are: `node:http` over keep-alive
 * connections (one per lane), the request's head and body prepared once, the answer read as
 * bytes and checked. `fetch` (undici) builds a Request, an AbortSignal and web streams per call,
 * which cost the generator more CPU per request than the server it measures spent (profiled for
 * BENCHMARKS.md §8), on the same cores. Rejects on any other status, a body that does not match,
 * or a connection error.
 */
export function checkedPoster(post: CheckedPost, connections: number): { send(): Promise<void>; close(): void } {
  const url = new URL(post.url);
  if (url.protocol !== 'http:') throw new Error(`${post.url}: only http:// is served by this generator`);
  const fixed = Buffer.from(post.body);
  const { numbered } = post;
  let sent = 0;
  const expected = new RegExp(post.expect);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const options = {
    agent,
    method: 'POST',
    host: url.hostname,
    port: url.port === '' ? 80 : Number(url.port),
    path: url.pathname + url.search,
    headers: { ...post.headers, 'content-length': String(fixed.length) },
  };
  const send = () =>
    new Promise<void>((resolve, reject) => {
      const body = numbered ? Buffer.from(post.body.replaceAll(numbered, String(sent++))) : fixed;
      const headers = numbered ? { ...options.headers, 'content-length': String(body.length) } : options.headers;
      const req = request({ ...options, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299 || !expected.test(text))
            reject(new Error(`${post.url}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
          else resolve();
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}
