import { z } from 'zod';
import { roleNameSchema } from '../../domain/authorization';
import { invalid, WardenError } from '../../domain/errors';
import type { Queryable } from '../pool';

/** Roles are names of duties, not data: a principal holding more than this is a mistake or an attack. */
export const MAX_ROLES_PER_PRINCIPAL = 32;

export const principalName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._@-]{0,63}$/, 'lower-case letters, digits and . _ @ -, at most 64 characters');
export const roleName = roleNameSchema;

export interface Principal {
  name: string;
  roles: string[];
}

/** Whoever is not a principal may do nothing: refused like anyone without the role ('forbidden'). */
export class UnknownPrincipalError extends WardenError {
  constructor(readonly principal: string) {
    super(
      'forbidden',
      `unknown principal "${principal}": add it with \`warden principal add ${principal} --role <role>\``,
    );
    this.name = 'UnknownPrincipalError';
  }
}

/** Adds the principal if new and grants the roles it lacks; granting twice changes nothing. */
export async function addPrincipal(
  q: Queryable,
  name: string,
  roles: string[],
): Promise<{ principal: Principal; created: boolean; granted: string[] }> {
  const { name: n, roles: rs } = z
    .object({
      name: principalName,
      roles: z.array(roleName).max(MAX_ROLES_PER_PRINCIPAL, `at most ${MAX_ROLES_PER_PRINCIPAL} roles`),
    })
    .parse({ name, roles });
  const inserted = await q.query('INSERT INTO principals (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [n]);
  // The principal's row is locked so that concurrent grants count each other's roles.
  await q.query('SELECT 1 FROM principals WHERE name = $1 FOR UPDATE', [n]);
  const held = await q.query<{ role: string }>('SELECT role FROM principal_roles WHERE principal = $1', [n]);
  const total = new Set([...held.rows.map((r) => r.role), ...rs]).size;
  if (total > MAX_ROLES_PER_PRINCIPAL) {
    throw invalid(`roles: ${n} would hold ${total} roles; at most ${MAX_ROLES_PER_PRINCIPAL} per principal`);
  }
  const granted: string[] = [];
  for (const role of rs) {
    const r = await q.query('INSERT INTO principal_roles (principal, role) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      n,
      role,
    ]);
    if (r.rowCount === 1) granted.push(role);
  }
  return { principal: await requirePrincipal(q, n), created: inserted.rowCount === 1, granted };
}

export async function findPrincipal(q: Queryable, name: string): Promise<Principal | undefined> {
  // A name the principals table cannot hold names nobody (and must not reach the query).
  if (!principalName.safeParse(name).success) return undefined;
  const { rows } = await q.query<{ name: string; roles: string[] | null }>(
    `SELECT p.name, array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL) AS roles
       FROM principals p LEFT JOIN principal_roles r ON r.principal = p.name
      WHERE p.name = $1 GROUP BY p.name`,
    [name],
  );
  const row = rows[0];
  return row ? { name: row.name, roles: row.roles ?? [] } : undefined;
}

export async function requirePrincipal(q: Queryable, name: string): Promise<Principal> {
  const found = await findPrincipal(q, name);
  if (!found) throw new UnknownPrincipalError(name);
  return found;
}

export async function principalHasRole(q: Queryable, name: string, role: string): Promise<boolean> {
  if (!principalName.safeParse(name).success || !roleName.safeParse(role).success) return false;
  const { rowCount } = await q.query('SELECT 1 FROM principal_roles WHERE principal = $1 AND role = $2', [name, role]);
  return rowCount === 1;
}

/** Whether any principal holds `role` (e.g. whether an installation has its first admin yet). */
export async function anyPrincipalHolds(q: Queryable, role: string): Promise<boolean> {
  const { rowCount } = await q.query('SELECT 1 FROM principal_roles WHERE role = $1 LIMIT 1', [role]);
  return (rowCount ?? 0) > 0;
}

export async function listPrincipals(q: Queryable): Promise<Principal[]> {
  const { rows } = await q.query<{ name: string; roles: string[] | null }>(
    `SELECT p.name, array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL) AS roles
       FROM principals p LEFT JOIN principal_roles r ON r.principal = p.name
      GROUP BY p.name ORDER BY p.name`,
  );
  return rows.map((r) => ({ name: r.name, roles: r.roles ?? [] }));
}
