// The dashboard's only way to the server: the HTTP API with the signed-in token.
const KEY = 'warden.token';

export const session = {
  get token() {
    return sessionStorage.getItem(KEY);
  },
  set(token) {
    sessionStorage.setItem(KEY, token);
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    const issues = Array.isArray(body?.issues) ? body.issues.map((i) => `${i.field}: ${i.message}`).join('; ') : '';
    super([body?.error ?? `HTTP ${status}`, issues].filter(Boolean).join(' — '));
    this.status = status;
    this.body = body;
  }
}

export async function api(method, path, body, token = session.token) {
  const res = await fetch(path, {
    method,
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = { error: text };
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}
