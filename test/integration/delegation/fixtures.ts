import { randomBytes } from 'node:crypto';
import { addPrincipal } from '../../../db/principals';
import { buildAbpFromSpec } from '../../../client/delegation';
import { demoAbpSpec } from '../../../domain/abp/demo';
import type { AbpSpecInput } from '../../../domain/abp/schema';
import type { IntegrationContext } from '../../support/integration';

/**
 * Test files share one database, so every test builds its own ABP (a scope of its own gives it an
 * id of its own) and its own principals.
 */
export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export function uniqueSpec(over: Partial<AbpSpecInput> = {}): AbpSpecInput {
  const spec = demoAbpSpec();
  return { ...spec, scope: { ...spec.scope, contract_id: unique('CTR') }, ...over };
}

export async function buildUniqueAbp(ctx: IntegrationContext, over: Partial<AbpSpecInput> = {}) {
  return (await buildAbpFromSpec(ctx, uniqueSpec(over))).abp;
}

export async function principal(ctx: IntegrationContext, name: string, roles: string[]): Promise<string> {
  const n = unique(name);
  await addPrincipal(ctx.pool, n, roles);
  return n;
}

/** The demo's irreversible action that authority_envelope_complete blocks (the tool is denied). */
export const sendExternalEmail = (abpHash: string, n: number) => ({
  action_id: unique(`send-${n}`),
  agent_id: 'recruiter-bot',
  abp_hash: abpHash,
  objective: 'OBJ-004',
  tool: 'email.send_external',
  data: [{ resource: 'candidates/42', operation: 'read' as const }],
  role: 'agent',
  irreversible: true,
});
