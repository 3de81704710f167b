import { describe, expect, it } from 'vitest';
import { addPrincipal } from '../../../db/access/principals';
import { listProvenance } from '../../../db/provenance/log';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';

const ctx = useIntegrationContext('notifications-http');
const api = useApiServer(ctx);

describe('webhook routes', () => {
  it('adds and lists (admin only, never the secret), filters deliveries and removes a webhook', async () => {
    const viewer = `viewer-${Math.random().toString(16).slice(2, 8)}`;
    await addPrincipal(ctx.pool, viewer, ['Reviewer']);
    const body = { url: 'http://127.0.0.1:9/hook', events: ['proposal.expired'], secret: 'a-secret-of-enough-length' };

    const refused = await api('POST', '/api/v1/webhooks', { ...body, as: viewer });
    expect(refused.status).toBe(403);

    const bad = await api('POST', '/api/v1/webhooks', { ...body, events: ['proposal.exploded'] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/events/);

    const added = await api('POST', '/api/v1/webhooks', body);
    expect(added.status).toBe(201);
    const id: string = added.body.webhook.id;
    expect(added.body).toMatchObject({
      webhook: { url: body.url, events: ['proposal.expired'], maxAttempts: 6 },
      secretGenerated: false,
    });

    // Receiver URLs can carry credentials: only an admin sees them.
    expect((await api('GET', `/api/v1/webhooks?as=${viewer}`)).status).toBe(403);
    expect((await api('GET', `/api/v1/webhook-deliveries?as=${viewer}`)).status).toBe(403);
    const listed = await api('GET', '/api/v1/webhooks');
    expect(listed.status).toBe(200);
    expect(listed.body.webhooks.map((w: { id: string }) => w.id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain(body.secret);

    const deliveries = await api('GET', `/api/v1/webhook-deliveries?webhook=${id}&event=proposal.expired`);
    expect(deliveries).toMatchObject({ status: 200, body: { deliveries: [] } });
    expect((await api('GET', '/api/v1/webhook-deliveries?event=nope')).status).toBe(400);

    const removed = await api('DELETE', `/api/v1/webhooks/${id}`);
    expect(removed).toMatchObject({ status: 200, body: { removed: { id } } });
    expect((await api('DELETE', `/api/v1/webhooks/${id}`)).status).toBe(404);
    const entries = await listProvenance(ctx.pool, { subject: `webhook:${id}` });
    expect(entries.map((e) => e.kind).sort()).toEqual(['webhook.added', 'webhook.removed']);
    expect(entries.every((e) => e.actor !== null)).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(body.secret);
  });
});
