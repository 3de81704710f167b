import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import protos from '@temporalio/proto';
import { wardenSearchAttributes } from '../domain/search-attributes';

const { IndexedValueType } = protos.temporal.api.enums.v1;

/**
 * Makes sure Warden's search attributes exist in the namespace. The embedded dev server registers
 * them from its start flags; an existing self-hosted cluster gets them added here; Temporal Cloud
 * refuses the operator call, so the error says to add them in the Cloud UI or with tcld.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const present = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = wardenSearchAttributes.filter((k) => !present.has(k.name));
  if (missing.length === 0) return [];
  try {
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
    });
  } catch (error) {
    throw new Error(
      `search attributes ${missing.map((k) => k.name).join(', ')} are missing in namespace ${namespace} and could not be added ` +
        `(${(error as Error).message}). Add them as Keyword attributes (Temporal Cloud: tcld namespace search-attributes add).`,
      { cause: error },
    );
  }
  await untilStartsAccept(client, missing);
  return missing.map((k) => k.name);
}

/** gRPC's INVALID_ARGUMENT status code. */
const INVALID_ARGUMENT = 3;

/** How long attributes just added may stay unknown to starts (the server's cache refresh is 60 s). */
const ACCEPT_WITHIN_MS = 90_000;

/**
 * Waits until a workflow start that carries the attributes just added is accepted. A server that
 * caches its search attributes (Warden's dev server does: DEV_SERVER_CACHES_SEARCH_ATTRIBUTES)
 * refuses them for a moment after they are added (INVALID_ARGUMENT, "no mapping defined for search
 * attribute"), and the process goes on to start workflows with them at once. The probe is a start
 * no worker polls for, terminated as soon as it is accepted; only a process that added attributes
 * (a new namespace, or an upgrade that brought a new one) runs it.
 */
async function untilStartsAccept(client: Client, added: readonly (typeof wardenSearchAttributes)[number][]) {
  const deadline = Date.now() + ACCEPT_WITHIN_MS;
  for (;;) {
    try {
      const probe = await client.workflow.start('wardenSearchAttributeProbe', {
        taskQueue: 'warden-search-attribute-probe',
        workflowId: `warden-search-attribute-probe-${randomUUID()}`,
        typedSearchAttributes: added.map((key) => ({ key, value: 'probe' })),
        staticSummary: 'Checks that search attributes just added are accepted; terminated at once',
      });
      await probe.terminate('search attribute probe').catch(() => undefined);
      return;
    } catch (error) {
      const refusal = (error as { cause?: { code?: number; message?: string } }).cause;
      const unknownAttribute = refusal?.code === INVALID_ARGUMENT && /search attribute/i.test(refusal.message ?? '');
      if (!unknownAttribute || Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}
