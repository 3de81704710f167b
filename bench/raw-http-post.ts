import { connect, type Socket } from 'node:net';
import type { CheckedPost } from './http-post';

/** One kept-alive connection and the answer it is reading, if a request is out. */
interface Lane {
  socket: Socket;
  buffered: Buffer;
  waiting: { resolve(): void; reject(error: Error): void } | null;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * checkedPoster (bench/http-post.ts) with less of the generator's own CPU per request: HTTP/1.1
 * written and read by hand over `net` sockets kept alive (one per lane), the request's bytes built
 * once, as wrk does. Every answer is still read whole and checked: its status must be 2xx and its
 * body must match `expect` (bodies framed by Content-Length or chunked). Rejects otherwise, or on a
 * connection error or close.
 */
export function rawCheckedPoster(post: CheckedPost, connections: number): { send(): Promise<void>; close(): void } {
  const url = new URL(post.url);
  if (url.protocol !== 'http:') throw new Error(`${post.url}: only http:// is served by this generator`);
  if (post.numbered) throw new Error('rawCheckedPoster sends one fixed request; use checkedPoster for numbered bodies');
  const body = Buffer.from(post.body);
  const headers = { ...post.headers, host: url.host, 'content-length': String(body.length) };
  const request = Buffer.concat([
    Buffer.from(
      `POST ${url.pathname}${url.search} HTTP/1.1\r\n` +
        Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('') +
        '\r\n',
    ),
    body,
  ]);
  const expected = new RegExp(post.expect);
  const port = url.port === '' ? 80 : Number(url.port);
  const idle: Lane[] = [];
  const lanes: Lane[] = [];

  const open = (): Lane => {
    const socket = connect({ host: url.hostname, port, noDelay: true });
    const lane: Lane = { socket, buffered: Buffer.alloc(0), waiting: null };
    const fail = (error: Error) => {
      const w = lane.waiting;
      lane.waiting = null;
      w?.reject(error);
    };
    socket.on('data', (chunk: Buffer) => {
      lane.buffered = lane.buffered.length === 0 ? chunk : Buffer.concat([lane.buffered, chunk]);
      const answer = parseAnswer(lane.buffered);
      if (!answer) return;
      lane.buffered = lane.buffered.subarray(answer.length);
      const w = lane.waiting;
      lane.waiting = null;
      idle.push(lane);
      const text = answer.body.toString('utf8');
      if (answer.status < 200 || answer.status > 299 || !expected.test(text))
        w?.reject(new Error(`${post.url}: HTTP ${answer.status} ${text.slice(0, 300)}`));
      else w?.resolve();
    });
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`${post.url}: the connection closed`)));
    lanes.push(lane);
    return lane;
  };

  const send = () =>
    new Promise<void>((resolve, reject) => {
      if (lanes.length < connections && idle.length === 0) idle.push(open());
      const lane = idle.pop();
      if (!lane) return reject(new Error(`more than ${connections} requests at once`));
      lane.waiting = { resolve, reject };
      lane.socket.write(request);
    });
  return { send, close: () => lanes.forEach((l) => l.socket.destroy()) };
}

/** The first whole answer in `bytes`: its status, its body and how many bytes it took; null while incomplete. */
function parseAnswer(bytes: Buffer): { status: number; body: Buffer; length: number } | null {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd === -1) return null;
  const head = bytes.subarray(0, headEnd).toString('latin1');
  const status = Number(head.slice(9, 12));
  const start = headEnd + HEAD_END.length;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) {
    const end = start + Number(length[1]);
    return bytes.length < end ? null : { status, body: bytes.subarray(start, end), length: end };
  }
  if (!/\r\ntransfer-encoding:\s*chunked/i.test(head)) throw new Error(`an answer with no length: ${head}`);
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd === -1) return null;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    const dataEnd = lineEnd + 2 + size;
    if (bytes.length < dataEnd + 2) return null;
    if (size === 0) return { status, body: Buffer.concat(parts), length: dataEnd + 2 };
    parts.push(bytes.subarray(lineEnd + 2, dataEnd));
    at = dataEnd + 2;
  }
}
