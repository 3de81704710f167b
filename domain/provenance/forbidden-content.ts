/**
 * Provenance entries outlive every other record, so they must never carry conversation text or
 * secrets. Callers pass ids and scores; this check refuses payload keys that suggest otherwise.
 */
const FORBIDDEN_KEYS = /^(prompt|response|content|message|messages|text|secret|password|token|api_?key|credential)s?$/i;

export function findForbiddenKey(payload: unknown, path = 'payload'): string | undefined {
  if (Array.isArray(payload)) {
    for (const [i, item] of payload.entries()) {
      const found = findForbiddenKey(item, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (payload !== null && typeof payload === 'object') {
    for (const [key, value] of Object.entries(payload)) {
      if (FORBIDDEN_KEYS.test(key)) return `${path}.${key}`;
      const found = findForbiddenKey(value, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}
