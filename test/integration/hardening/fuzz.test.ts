import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../../api/routes';
import { createAgent } from '../../../client/endorsement';
import { addPrincipal } from '../../../db/access/principals';
import { buildAbpFromSpec } from '../../../client/delegation';
import { createApiToken } from '../../../db/access/api-tokens';
import { demoAbpSpec } from '../../../demo/delegation-abp';
import type { Abp } from '../../../domain/delegation/schema';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { rawRequest } from '../../support/raw-http';
import { SEED_RULE } from '../endorsement/helpers';
import { reviewedRows, SEED_POLICY } from '../guard/guard-fixtures';
import { testAdmin } from '../../support/principals';

/**
 * Property-based fuzzing of the HTTP API (issue #10): every route's body, path and query, and raw
 * HTTP no client would send. Asserted throughout: no 5xx, the process keeps answering, and a
 * refused request writes nothing (row counts of every table and the provenance head unchanged).
 * A database of this file's own makes "nothing written" observable. Seeds are fixed;
 * WARDEN_FUZZ_RUNS=<factor> runs more cases, WARDEN_FUZZ_SEED=<n> replays a reported seed.
 */
const ctx = useIntegrationContext('hardening-fuzz', { ownDatabase: true });
const call = useApiServer(ctx);

const ADMIN = 'fuzz-admin';
const AGENT = 'fuzz-bot';
let abp: Abp;
let token = '';

beforeAll(async () => {
  await addPrincipal(ctx.pool, ADMIN, ['admin', 'operator', 'Reviewer', 'safety-lead']);
  token = (await createApiToken(ctx.pool, { principal: ADMIN })).token;
  await createAgent(ctx, { id: AGENT, kernel: 'default', settings: {}, probes: true }, ADMIN);
  abp = (await buildAbpFromSpec(ctx, demoAbpSpec(), await testAdmin(ctx))).abp;
});

// ---------- what the database holds ----------

async function snapshot(): Promise<Record<string, number>> {
  const { rows: tables } = await ctx.pool.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const counts = tables.map((t) => `(SELECT count(*) FROM "${t.name}")::bigint AS "${t.name}"`).join(', ');
  const { rows } = await ctx.pool.query<Record<string, number>>(
    `SELECT ${counts}, (SELECT coalesce(max(seq), 0) FROM provenance_log)::bigint AS "provenance head"`,
  );
  return rows[0]!;
}

// ---------- values ----------

const nastyUnit = fc.oneof(
  fc.constantFrom('\u0000', '\ud800', '\udfff', '😀', 'a', 'é', '/', '%', '\r', '\n', '"', '\\'),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
);
/** Short strings: what fits in a path or query (longer ones only reach the header limit, 431). */
const shortString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: nastyUnit, maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 24 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'ABP-00000000',
      'DRT-001',
      '../../etc/passwd',
      "'; DROP TABLE principals; --",
      '\u202eevil',
      'null',
      '1e999',
      'feedback://x?tenant=%ZZ',
      '-5',
      '0',
      '1000000',
    ),
  },
);
const nastyString = fc.oneof(
  { weight: 8, arbitrary: shortString },
  { weight: 1, arbitrary: fc.integer({ min: 2_000, max: 400_000 }).map((n) => 'x'.repeat(n)) },
);
const nastyNumber = fc.oneof(
  fc.constantFrom(0, -1, -0, 0.5, 1.5, 2 ** 31, 2 ** 53 + 2, 9007199254740991, 1e21, -1e21, 1e308, Number.MIN_VALUE),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
const nastyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    nastyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(nastyString, tie('value'), { maxKeys: 3 }),
  ),
})).value;
/** Values every storage check refuses: NUL or a lone surrogate, somewhere in a string. */
const poisonString = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('\u0000', '\ud800', '\udc00x', 'x\ud83d'),
    fc.string({ maxLength: 8 }),
  )
  .map((p) => p.join(''));

// ---------- one request per route ----------

const ROW_TEMPLATES = {
  evidence: () => [
    {
      kind: 'drift_signal',
      abp_id: abp.abp_id,
      type: 'bypass',
      severity: 'red',
      fingerprint: { key: 'fp', version: 1 },
      observed_at: '2026-05-01T00:00:00Z',
    },
    { kind: 'coherence_run', abp_id: abp.abp_id, score: 50, observed_at: '2026-05-01T00:00:00Z' },
  ],
  feedback: () => reviewedRows('fuzz-tenant', 2, { marker: 'fuzz' }),
};

/** A well-formed body for every route that takes one; the fuzzer mutates them. */
function templates(): Record<string, unknown> {
  const spec = demoAbpSpec();
  return {
    'POST /api/v1/principals': { name: 'fuzz-person', roles: ['operator'] },
    'POST /api/v1/tokens': { principal: ADMIN, label: 'fuzz', expires_in_days: 1 },
    'POST /api/v1/guard/feedback': ROW_TEMPLATES.feedback(),
    'POST /api/v1/guard/policies': SEED_POLICY,
    'POST /api/v1/guard/proposals/calibration': {
      policy_id: SEED_POLICY.policy_id,
      source_ref: 'feedback://fuzz',
      approval_timeout: '7 days',
      current_threshold: 0.55,
      candidate_threshold: 0.58,
      confidence_low: 0.51,
      confidence_high: 0.61,
      rollback_id: 'rb-fuzz',
    },
    'POST /api/v1/guard/proposals/lora': {
      policy_id: SEED_POLICY.policy_id,
      source_ref: 'feedback://fuzz',
      dataset_uri: 's3://bucket/data',
      base_model_ref: 'base-1',
      heldout_score: 0.8,
      baseline_score: 0.7,
      rollback_id: 'rb-fuzz',
    },
    'POST /api/v1/guard/proposals/:id/approve': { approval_id: 'ap-fuzz' },
    'POST /api/v1/guard/proposals/:id/release': {},
    'POST /api/v1/agents': {
      id: 'fuzz-new-bot',
      kernel: 'default',
      settings: { cooldownBaseSeconds: 10 },
      probes: true,
    },
    'POST /api/v1/agents/:agent/endorsements': { rule: SEED_RULE, settings: { minSamples: 1 }, rationale: 'fuzz' },
    'POST /api/v1/agents/:agent/chat': { message: 'hello', waitForShadow: false },
    'POST /api/v1/endorsements/:id/decide': { decision: 'stage', rationale: 'fuzz' },
    'POST /api/v1/endorsements/:id/promote': { rationale: 'fuzz' },
    'POST /api/v1/endorsements/:id/abort': { rationale: 'fuzz' },
    'POST /api/v1/endorsements/:id/extend': { seconds: 60 },
    'POST /api/v1/abps': { ...spec, scope: { ...spec.scope, contract_id: 'CTR-FUZZ' } },
    'POST /api/v1/abps/:id/actions/check': {
      abp_hash: abp.hash,
      objective: 'OBJ-001',
      tool: 'ats.read',
      agent_id: 'bot',
      data: [{ resource: 'r', operation: 'read' }],
    },
    'POST /api/v1/abps/:id/actions/:check_id/outcome': {
      status: 'succeeded',
      touched: [{ resource: 'r', operation: 'read' }],
      cost: 1,
      summary: 'fuzz',
    },
    'POST /api/v1/abps/:id/degradations/clear': { agent_id: 'bot', reason: 'fuzz' },
    'POST /api/v1/abps/:id/compose': { children: [abp.abp_id] },
    'POST /api/v1/evidence': ROW_TEMPLATES.evidence(),
    'POST /api/v1/reviews': { abp_id: abp.abp_id, trigger_id: 'DRT-001' },
    'POST /api/v1/reviews/:id/approve': {
      output_kind: 'abp_patch',
      document: { objectives: { allowed: [] } },
      reason: 'fuzz',
    },
    'POST /api/v1/reviews/:id/dismiss': { reason: 'fuzz' },
    'POST /api/v1/webhooks': { url: 'https://example.com/hook', events: ['review.opened'], maxAttempts: 3 },
    'POST /v1/chat/completions': {
      model: 'research-bot',
      messages: [{ role: 'user', content: 'hello' }],
      stream: false,
    },
    'POST /beta/litellm_basic_guardrail_api': {
      input_type: 'request',
      texts: ['hello'],
      additional_provider_specific_params: { agent: 'research-bot' },
    },
    'POST /guardrail/check': {
      input_type: 'response',
      texts: ['hi'],
      additional_provider_specific_params: { agent: 'research-bot' },
    },
    'POST /api/v1/gateway/exchanges': {
      agent: 'research-bot',
      prompt: 'hello',
      content: 'hi',
      toolCalls: [{ id: 'call-1', name: 'ats.read', arguments: '{}' }],
    },
    'DELETE /api/v1/tokens/:id': undefined,
    'DELETE /api/v1/webhooks/:id': undefined,
  };
}
const NDJSON_ROUTES = new Set(['POST /api/v1/guard/feedback', 'POST /api/v1/evidence']);
const keyOf = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

type Path = (string | number)[];
function leafPaths(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => leafPaths(v, [...at, i]))];
  if (value !== null && typeof value === 'object')
    return [at, ...Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...at, k]))];
  return [at];
}
function setAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[head!] = setAt(copy[head!], rest, replacement);
  return copy;
}
function deleteAt(value: unknown, path: Path): unknown {
  if (path.length === 0) return value;
  if (path.length === 1) {
    if (Array.isArray(value)) return value.filter((_, i) => i !== path[0]);
    const { [path[0] as string]: _gone, ...rest } = value as Record<string, unknown>;
    return rest;
  }
  const [head, ...rest] = path;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[head!] = deleteAt(copy[head!], rest);
  return copy;
}

interface Mutation {
  op: 'none' | 'replace' | 'add' | 'delete' | 'whole';
  pick: number;
  key: string;
  value: unknown;
  /** Keep the leaf's JSON type (a string for a string…), to get past type checks into the field's own rules. */
  sameType: boolean;
  str: string;
  num: number;
}
const mutation = (values: fc.Arbitrary<unknown>, sameType: fc.Arbitrary<boolean>): fc.Arbitrary<Mutation> =>
  fc.record({
    op: fc.constantFrom('none', 'replace', 'replace', 'replace', 'add', 'delete', 'whole'),
    pick: fc.nat(),
    key: fc.oneof(shortString, fc.constantFrom('as', 'kind', 'extra')),
    value: values,
    sameType,
    str: nastyString,
    num: nastyNumber,
  }) as fc.Arbitrary<Mutation>;

function leafAt(value: unknown, path: Path): unknown {
  let v: any = value;
  for (const k of path) v = v?.[k];
  return v;
}

function mutate(template: unknown, m: Mutation): unknown {
  const paths = leafPaths(template);
  const path = paths[m.pick % paths.length]!;
  switch (m.op) {
    case 'none':
      return template;
    case 'replace': {
      const leaf = leafAt(template, path);
      const value =
        m.sameType && typeof leaf === 'string' ? m.str : m.sameType && typeof leaf === 'number' ? m.num : m.value;
      return setAt(template, path, value);
    }
    case 'delete':
      return deleteAt(template, path);
    case 'add': {
      const containers = paths.filter((p) => {
        const v = leafAt(template, p);
        return v !== null && typeof v === 'object' && !Array.isArray(v);
      });
      const at = containers[m.pick % Math.max(1, containers.length)] ?? [];
      return setAt(template, [...at, m.key], m.value);
    }
    case 'whole':
      return m.value;
  }
}

/** `:name` filled in: sometimes the seeded thing's id (to get past "not found"), else anything. */
function pathParam(name: string, nasty: string, useSeed: boolean): string {
  const seeded: Record<string, string> = { agent: AGENT, id: abp?.abp_id ?? 'ABP-00000000', file: 'app.js' };
  const value = useSeed ? (seeded[name] ?? nasty) : nasty;
  // encodeURIComponent refuses lone surrogates: those go as the raw %-escapes of their CESU bytes.
  return (
    [...value]
      .map((ch) => {
        try {
          return encodeURIComponent(ch);
        } catch {
          return '%ED%A0%80';
        }
      })
      .join('') || '%20'
  );
}

function bodyText(routeKey: string, body: unknown): { text: string | undefined; type: string } {
  if (body === undefined) return { text: undefined, type: 'application/json' };
  if (NDJSON_ROUTES.has(routeKey) && Array.isArray(body))
    return { text: body.map((r) => JSON.stringify(r) ?? 'null').join('\n'), type: 'application/x-ndjson' };
  return { text: JSON.stringify(body) ?? 'null', type: 'application/json' };
}

async function send(method: string, path: string, text: string | undefined, type: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${call.port()}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body: method === 'GET' ? undefined : text,
  });
  await res.arrayBuffer();
  return res.status;
}

const requestArbitrary = (values: fc.Arbitrary<unknown>, poisoned: boolean) =>
  fc.record({
    route: fc.nat({ max: routes.length - 1 }),
    mutation: mutation(values, poisoned ? fc.constant(false) : fc.boolean()),
    param: poisoned ? fc.oneof(shortString, poisonString) : shortString,
    useSeed: poisoned ? fc.constant(false) : fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)),
    query: fc.dictionary(
      fc.constantFrom('limit', 'subject', 'kind', 'state', 'abp', 'source', 'event', 'webhook', 'as', 'principal', 'x'),
      poisoned ? poisonString : shortString,
      { maxKeys: 3 },
    ),
  });

describe('fuzzing the HTTP API', () => {
  it('has a body template for every route that takes a body', () => {
    const all = templates();
    const missing = routes.filter((r) => r.method !== 'GET' && !(keyOf(r) in all)).map(keyOf);
    expect(missing).toEqual([]);
  });

  it('refuses every poisoned request with a 4xx and writes nothing', async () => {
    const all = templates();
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(requestArbitrary(poisonString, true), async (r) => {
        const route = routes[r.route]!;
        const key = keyOf(route);
        // The poison lands in the body, or (bodiless routes) in the query.
        // Every mutation here plants the poison (deleting a key or keeping the template would not).
        const op = r.mutation.op === 'delete' || r.mutation.op === 'none' ? 'replace' : r.mutation.op;
        const body =
          route.method === 'GET' || all[key] === undefined ? undefined : mutate(all[key], { ...r.mutation, op });
        const query = route.method === 'GET' || body === undefined ? { ...r.query, fuzz: '\u0000' } : r.query;
        const path = route.path.replace(/:([A-Za-z_]+)/g, (_, n: string) => pathParam(n, r.param, false));
        const qs = new URLSearchParams(query as Record<string, string>).toString();
        const { text, type } = bodyText(key, body);
        const status = await send(route.method, `${path}${qs ? `?${qs}` : ''}`, text, type);
        expect(status, `${key} → ${status}`).toBeGreaterThanOrEqual(400);
        expect(status, `${key} → ${status}`).toBeLessThan(500);
      }),
      { seed: fuzzSeed(20261130), numRuns: fuzzRuns(120) },
    );
    expect(await snapshot()).toEqual(before);
  });

  it('answers anything sent to any route without a 5xx', async () => {
    const all = templates();
    await fc.assert(
      fc.asyncProperty(requestArbitrary(nastyValue, false), async (r) => {
        const route = routes[r.route]!;
        const key = keyOf(route);
        const body = route.method === 'GET' ? undefined : mutate(all[key] ?? {}, r.mutation);
        const path = route.path.replace(/:([A-Za-z_]+)/g, (_, n: string) => pathParam(n, r.param, r.useSeed));
        const qs = new URLSearchParams(r.query as Record<string, string>).toString();
        const { text, type } = bodyText(key, body);
        const status = await send(route.method, `${path}${qs ? `?${qs}` : ''}`, text, type);
        // /healthz may report a dependency down (503) by design; nothing else may answer 5xx.
        if (route.path !== '/healthz') expect(status, `${key} ${path.slice(0, 80)} → ${status}`).toBeLessThan(500);
      }),
      { seed: fuzzSeed(7), numRuns: fuzzRuns(250) },
    );
  });

  it('answers raw HTTP no client would send without a 5xx, and keeps answering', async () => {
    const target = fc.oneof(
      fc.constantFrom(
        '//',
        '/',
        '*',
        '/..%2f..%2fetc/passwd',
        'http://x:99999/healthz',
        'http://[::1/',
        'https://example.com/api/v1/me',
        '/api/v1/abps/%',
        '/api/v1/abps/%ZZ',
        '/api/v1/abps/%E0%A4%A/history',
        '/api/v1/abps/%00',
        '/api/v1/abps/%ED%A0%80',
        '/dashboard/..%5capp.js',
        `/api/v1/provenance?limit=1e999`,
      ),
      fc
        .tuple(
          fc.constantFrom(...routes.map((r) => r.path)),
          fc.array(
            fc.oneof(
              fc.constantFrom('%', '%0', '%00', '%C3', '%FF', '//', '?', '&', '=', '#'),
              fc.string({ unit: 'binary-ascii', maxLength: 6 }).map((s) => s.replace(/[\s\x00-\x1f\x7f]/g, '')),
            ),
            { maxLength: 4 },
          ),
        )
        .map(
          ([p, extra]) =>
            p.replace(/:([A-Za-z_]+)/g, () => extra.join('') || 'x') + (extra.length > 2 ? `?${extra.join('')}` : ''),
        ),
      fc.integer({ min: 3_000, max: 12_000 }).map((n) => `/api/v1/abps/${'a'.repeat(n)}`),
    );
    const body = fc.oneof(
      fc.constant(''),
      fc.constantFrom(
        '{"a":1e999}',
        '{"rule":"x\\u0000"}',
        '{"message":"\\ud800"}',
        '[[[[[[[[[[[[',
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        '{"seconds":9007199254740993}',
        'null',
        '"\\u0000"',
        '{"__proto__":{"polluted":1}}',
      ),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
      nastyValue.map((v) => JSON.stringify(v) ?? ''),
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'BREW'),
      target,
      type: fc.constantFrom(
        'application/json',
        'application/x-ndjson',
        'text/plain',
        'application/json; charset=latin1',
        '',
        'json/ndjson',
      ),
      auth: fc.constantFrom(
        '',
        `Bearer ${'TOKEN'}`,
        'Bearer junk',
        'Basic YTpi',
        'Bearer',
        'Bearer wdn_tok_000000000000_' + '0'.repeat(48),
      ),
      body,
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const payload = Buffer.from(r.body, 'latin1');
        const auth = r.auth.replace('TOKEN', token);
        const head = [
          `${r.method} ${r.target} HTTP/1.1`,
          'Host: 127.0.0.1',
          'Connection: close',
          ...(r.type ? [`Content-Type: ${r.type}`] : []),
          ...(auth ? [`Authorization: ${auth}`] : []),
          `Content-Length: ${payload.length}`,
        ].join('\r\n');
        const res = await rawRequest(call.port(), Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), payload]));
        // Node's HTTP parser answers what it cannot parse (400) itself; everything else is ours.
        expect(res.status, `${r.method} ${r.target.slice(0, 60)}`).not.toBeNull();
        if (!r.target.startsWith('/healthz'))
          expect(res.status!, `${r.method} ${r.target.slice(0, 60)} → ${res.status}`).toBeLessThan(500);
      }),
      { seed: fuzzSeed(99), numRuns: fuzzRuns(150) },
    );
    expect((await call('GET', '/healthz')).status).toBe(200);
  });
});
