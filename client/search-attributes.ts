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
  return missing.map((k) => k.name);
}
