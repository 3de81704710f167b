import { randomBytes } from 'node:crypto';
import { addPrincipal } from '../../db/access/principals';
import type { IntegrationContext } from './integration';

/**
 * A principal of the test's own, with `roles`, written straight to the database: setting up who
 * exists is not what these tests check, and goes around the governed path (which needs an admin).
 */
export async function testPrincipal(
  ctx: Pick<IntegrationContext, 'pool'>,
  prefix: string,
  roles: string[],
): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await addPrincipal(ctx.pool, name, roles);
  return name;
}

export const TEST_ADMIN = 'test-admin';

/** An administrator, for the actions that need one (building ABPs, policies, agents, webhooks). */
export async function testAdmin(ctx: Pick<IntegrationContext, 'pool'>): Promise<string> {
  await addPrincipal(ctx.pool, TEST_ADMIN, ['admin']);
  return TEST_ADMIN;
}
