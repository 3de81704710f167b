import { connect } from 'node:net';

export interface RawResponse {
  /** The status code, or null when the server closed the connection without an answer. */
  status: number | null;
  text: string;
}

/**
 * Sends `request` byte for byte (a request line no HTTP client would send: `//`, absolute targets
 * with bad ports, stray escapes) and reads the answer until the server closes the connection.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 30_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${String(request).slice(0, 80)}`));
    }, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text });
    });
    socket.write(request);
  });
}

/** A GET with `Connection: close`, so the answer ends with the connection. */
export const rawGet = (target: string, headers: Record<string, string> = {}) =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
