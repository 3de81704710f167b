import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { ensureSearchAttributes } from '../../../client/search-attributes';
import { wardenSearchAttributes } from '../../../domain/search-attributes';
import { useIntegrationContext } from '../../support/integration';
import { registerTestNamespace } from '../../support/namespace';

const ctx = useIntegrationContext('search-attributes');

/**
 * The dev server Warden starts caches its search attributes (DEV_SERVER_CACHES_SEARCH_ATTRIBUTES,
 * as the integration tests' server does): attributes added while it runs are refused by starts for
 * a moment. A process that adds them (a new namespace, an upgrade) starts workflows with them at once.
 */
describe('ensureSearchAttributes', () => {
  it('returns only once a start carrying the attributes it added is accepted', async () => {
    const namespace = await registerTestNamespace(ctx.temporal, 'attributes');
    const client = new Client({ connection: ctx.temporal.connection, namespace });
    const added = await ensureSearchAttributes(client, namespace);
    expect(added).toEqual(wardenSearchAttributes.map((k) => k.name));
    const started = await client.workflow.start('noWorkerPollsThis', {
      taskQueue: `search-attributes-${randomBytes(3).toString('hex')}`,
      workflowId: `search-attributes-${randomBytes(3).toString('hex')}`,
      typedSearchAttributes: wardenSearchAttributes.map((key) => ({ key, value: 'x' })),
    });
    await started.terminate('test done');
    expect(await ensureSearchAttributes(client, namespace)).toEqual([]);
  });
});
