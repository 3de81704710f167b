import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayExchangeRoutes } from '../../../api/routes/gateway-exchanges';
import { openAiCompatibleRoutes } from '../../../api/routes/openai-compatible';
import { createApiToken, revokeApiToken } from '../../../db/access/api-tokens';
import { addPrincipal } from '../../../db/access/principals';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { startModelStub, type ModelStub } from '../../../toolchain/model-stub';
import { buildUniqueAbp } from '../delegation/abp-fixtures';
import { freshAgent } from '../endorsement/helpers';

let stub: ModelStub;
beforeAll(async () => {
  stub = await startModelStub();
});
afterAll(() => stub?.close());

const ctx = useIntegrationContext('gateway-cached-token', {
  env: () => ({ WARDEN_MODEL_BASE_URL: stub.baseUrl, WARDEN_CHAT_MODEL: 'stub-chat' }),
});
const call = useApiServer(ctx);

/** A token of its own (its cache entry shared with no other test), for a principal without roles. */
async function freshToken() {
  const name = `gw-caller-${Math.random().toString(16).slice(2, 8)}`;
  await addPrincipal(ctx.pool, name, []);
  return createApiToken(ctx.pool, { principal: name });
}

async function post(path: string, token: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${call.port()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const exchangesOf = async (agent: string) =>
  (await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM chat_exchanges WHERE agent_id = $1', [agent]))
    .rows[0]!.n;

describe('a revoked token at the gateway routes', () => {
  it('the SDK exchange route is served from the cache; the OpenAI route, which calls the model first, reads the token', () => {
    const served = [...gatewayExchangeRoutes, ...openAiCompatibleRoutes]
      .filter((r) => r.method === 'POST')
      .map((r) => ({ path: r.path, cached: r.revalidatesToken === true, roles: r.roles }))
      .sort((a, b) => a.path.localeCompare(b.path));
    expect(served).toEqual([
      { path: '/api/v1/gateway/exchanges', cached: true, roles: undefined },
      { path: '/v1/chat/completions', cached: false, roles: undefined },
    ]);
  });

  it('POST /api/v1/gateway/exchanges: a token revoked by another writer is refused on the very next call, whatever the exchange writes', async () => {
    const agent = await freshAgent(ctx);
    const abp = await buildUniqueAbp(ctx);
    const variants = {
      // The exchange's record re-validates the token.
      recorded: { agent, prompt: 'Hello there.' },
      // Only the tool call's check writes (no text to record).
      checked: {
        agent,
        abp: abp.abp_id,
        objective: 'OBJ-004',
        prompt: '',
        toolCalls: [{ id: 'c1', name: 'ats.read' }],
      },
      // Nothing is written: the token is read.
      nothing: { agent, prompt: '' },
    };
    for (const [name, body] of Object.entries(variants)) {
      const { token, info } = await freshToken();
      // Twice, so the second is answered from the cached token.
      for (const n of [1, 2])
        expect((await post('/api/v1/gateway/exchanges', token, body)).status, `${name} ${n}`).toBe(200);
      const before = await exchangesOf(agent);
      await revokeApiToken(ctx.pool, info.id);
      const refused = await post('/api/v1/gateway/exchanges', token, { ...body, callId: `after-revoke-${name}` });
      expect(refused.status, name).toBe(401);
      expect(String(refused.body.error), name).toMatch(/revoked/);
      expect(await exchangesOf(agent), name).toBe(before);
      const checks = await ctx.pool.query(`SELECT 1 FROM abp_action_checks WHERE check_id LIKE $1`, [
        `%after-revoke-${name}%`,
      ]);
      expect(checks.rowCount, name).toBe(0);
    }
  });

  it('POST /v1/chat/completions: a token revoked by another writer is refused on the very next call, before the model is asked, and nothing is recorded', async () => {
    const agent = await freshAgent(ctx);
    const { token, info } = await freshToken();
    const chat = () =>
      post('/v1/chat/completions', token, { model: agent, messages: [{ role: 'user', content: 'Say hello.' }] });
    for (const n of [1, 2]) {
      stub.script.push({ when: 'Say hello.', content: 'Hello.' });
      expect((await chat()).status, `call ${n}`).toBe(200);
    }
    expect(await exchangesOf(agent)).toBe(2);
    await revokeApiToken(ctx.pool, info.id);
    const modelCalls = stub.seen.length;
    const refused = await chat();
    expect(refused.status).toBe(401);
    expect((refused.body.error as { type?: string; message?: string }).type).toBe('authentication_error');
    expect((refused.body.error as { message?: string }).message).toMatch(/revoked/);
    // Refused before the model is asked: a revoked token spends no model call.
    expect(stub.seen.length).toBe(modelCalls);
    expect(await exchangesOf(agent)).toBe(2);
  });
});
