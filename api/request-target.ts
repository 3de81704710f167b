import { InvalidRequest } from './invalid-request';
import { HttpError } from './route';

export interface RequestTarget {
  /** The path as sent (still %-encoded): routes match it segment by segment. */
  path: string;
  query: URLSearchParams;
}

/**
 * The path and query of a request line. Origin-form targets (`/a/b?c`) are split by hand, never
 * through `new URL`, which throws on targets such as `//` (empty authority) and would end the
 * process from inside the HTTP parser's callback; an absolute-form target (`http://host/path`) is
 * parsed, and one that does not parse (`http://x:99999/`) is a malformed request.
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget {
  const target = raw ?? '/';
  if (target.startsWith('/')) {
    const q = target.indexOf('?');
    return q < 0
      ? { path: target, query: new URLSearchParams() }
      : { path: target.slice(0, q), query: new URLSearchParams(target.slice(q + 1)) };
  }
  if (/^https?:\/\//i.test(target) && URL.canParse(target)) {
    const url = new URL(target);
    return { path: url.pathname, query: url.searchParams };
  }
  throw new HttpError(400, 'malformed request target: expected a path such as /api/v1/abps');
}

/** Decodes one %-encoded path segment; a bad escape is the client's mistake, named by the parameter. */
export function decodePathParameter(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidRequest([{ field: `:${name}`, message: 'malformed %-escape in the path' }]);
  }
}
