import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { showEndorsement } from '../../../client/endorsement';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { eventually, HARMFUL, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-http');
const call = useApiServer(ctx);

describe('endorsement HTTP API', () => {
  it('creates an agent, stages a rule, chats, and reports a critical shadow as 409 with the live answer', async () => {
    const alice = await operator(ctx);
    const agent = `http-${randomBytes(3).toString('hex')}`;
    expect((await call('POST', '/api/v1/agents', { id: agent, settings: { cooldownBaseSeconds: 600 } })).status).toBe(
      201,
    );
    const endorsed = await call('POST', `/api/v1/agents/${agent}/endorsements`, { rule: SEED_RULE, as: alice });
    expect(endorsed.status).toBe(201);
    expect(endorsed.body.state).toBe('pending');
    const id = endorsed.body.endorsementId as string;
    const staged = await call('POST', `/api/v1/endorsements/${id}/decide`, { decision: 'stage', as: alice });
    expect(staged.status).toBe(200);
    expect(staged.body.state).toBe('staged');

    const benign = await call('POST', `/api/v1/agents/${agent}/chat`, {
      message: 'What is the capital of France?',
      waitForShadow: true,
    });
    expect(benign.status).toBe(200);
    expect(benign.body).toMatchObject({ sandboxDivergence: 0 });
    const critical = await call('POST', `/api/v1/agents/${agent}/chat`, { message: HARMFUL, waitForShadow: true });
    expect(critical.status).toBe(409);
    expect(critical.body).toMatchObject({ error: 'CriticalSandboxDivergence', endorsementId: id });
    expect(critical.body.content).toMatch(/can't help/i);
    await eventually(
      () => showEndorsement(ctx, id),
      (e) => e.state === 'rejected',
    );
    const shown = await call('GET', `/api/v1/endorsements/${id}`);
    expect(shown.body).toMatchObject({ state: 'rejected', samples: { scored: 2, critical: 1 } });
    // The workflow answers its query from its own state, which follows the stored row by a workflow task.
    const state = await eventually(
      () => call('GET', `/api/v1/endorsements/${id}/state`),
      (r) => r.body.state === 'rejected',
    );
    expect(state.body.state).toBe('rejected');
    const kernel = await call('GET', `/api/v1/agents/${agent}/kernel`);
    expect(kernel.body.version).toBe(1);
  });

  it('names the field on bad bodies', async () => {
    const bad = await call('POST', '/api/v1/agents', { id: 'Not Valid!' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toContainEqual(expect.objectContaining({ field: 'id' }));
    const missing = await call('POST', '/api/v1/agents/no-such-agent/chat', { message: 'hi' });
    expect(missing.status).toBe(404);
    const noPrincipal = await call('POST', '/api/v1/endorsements/endorsement-x-20260101t000000-abcd/promote', {});
    expect(noPrincipal.status).toBe(400);
    expect(noPrincipal.body.issues).toContainEqual(expect.objectContaining({ field: 'as' }));
  });
});
