import { randomBytes } from 'node:crypto';
import type { WardenContext } from '../../../client/context';
import { buildAbpFromSpec } from '../../../client/delegation';
import { addPrincipal } from '../../../db/access/principals';
import { demoAbpSpec } from '../../../demo/delegation-abp';
import type { Abp, AbpSpecInput } from '../../../domain/delegation/schema';
import { testAdmin } from '../../support/principals';

/**
 * ABPs, principals and actions for the delegation loop, free of vitest (the replay recorder drives
 * the same scenes outside a test run). Test files share one database, so every test builds its
 * own ABP (a scope of its own gives it an id of its own) and its own principals.
 */
export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export function uniqueSpec(over: Partial<AbpSpecInput> = {}): AbpSpecInput {
  const spec = demoAbpSpec();
  return { ...spec, scope: { ...spec.scope, contract_id: unique('CTR') }, ...over };
}

export async function buildUniqueAbp(ctx: WardenContext, over: Partial<AbpSpecInput> = {}) {
  return (await buildAbpFromSpec(ctx, uniqueSpec(over), await testAdmin(ctx))).abp;
}

export async function principal(ctx: WardenContext, name: string, roles: string[]): Promise<string> {
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

/** A patch that moves email.send_external from denied to allowed (in `scope`). */
export const allowEmail = (abp: Abp, scope = 'hiring') => ({
  tools: {
    allow: [...abp.tools.allow, { name: 'email.send_external', scope }],
    deny: abp.tools.deny.filter((t) => t.name !== 'email.send_external'),
  },
});

/** A patch that allows one more tool, unscoped. */
export const allowTool = (abp: Abp, name: string) => ({
  tools: { allow: [...abp.tools.allow, { name, scope: null }] },
});
