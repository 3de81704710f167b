import type { Command } from 'commander';
import { optionalActor, runCommand, table } from '../output';

export function registerAccessCommands(program: Command): void {
  const principal = program.command('principal').description('People and services Warden acts for, and their roles');
  principal
    .command('add <name>')
    .description('Add a principal (or grant more roles to an existing one); --as <admin> once an admin exists')
    .requiredOption('--role <role...>', 'role(s) to grant, e.g. --role Reviewer safety-lead')
    .action(async (name: string, opts: { role: string[] }, cmd: Command) => {
      const { grantPrincipal } = await import('../../client/access');
      await runCommand(
        cmd,
        (ctx) => grantPrincipal(ctx, name, opts.role, optionalActor(cmd, ctx)),
        (r) => `${r.created ? 'added' : 'updated'} ${r.principal.name}: roles ${r.principal.roles.join(', ')}`,
      );
    });
  principal
    .command('list')
    .description('List principals and their roles')
    .action(async (_opts, cmd: Command) => {
      const { principals } = await import('../../client/access');
      await runCommand(
        cmd,
        (ctx) => principals(ctx),
        (list) => (list.length === 0 ? 'no principals yet' : table(list.map((p) => [p.name, p.roles.join(', ')]))),
      );
    });

  const token = program.command('token').description('Bearer tokens for the HTTP API and the dashboard');
  token
    .command('create')
    .description(
      'Create a token for a principal (shown once; only its hash is stored); --as <admin> once an admin exists',
    )
    .requiredOption('--principal <name>', 'who the token speaks for')
    .option('--label <text>', 'what it is for, e.g. "dashboard" or "ci"')
    .option('--expires-in-days <n>', 'expire after this many days (default: never)')
    .action(async (opts: { principal: string; label?: string; expiresInDays?: string }, cmd: Command) => {
      const { createToken } = await import('../../client/access');
      await runCommand(
        cmd,
        (ctx) =>
          createToken(
            ctx,
            {
              principal: opts.principal,
              label: opts.label ?? '',
              expiresInDays: opts.expiresInDays === undefined ? undefined : Number(opts.expiresInDays),
            },
            optionalActor(cmd, ctx),
          ),
        (r) => `${r.token}\n(token ${r.info.id} for ${r.info.principal}; it is not shown again)`,
      );
    });
  token
    .command('list')
    .description('List tokens (ids, principals, state; never secrets)')
    .option('--principal <name>', "only this principal's tokens")
    .action(async (opts: { principal?: string }, cmd: Command) => {
      const { tokens } = await import('../../client/access');
      await runCommand(
        cmd,
        (ctx) => tokens(ctx, opts.principal),
        (list) =>
          list.length === 0
            ? 'no tokens'
            : table(
                list.map((t) => [
                  t.id,
                  `${t.principal}${t.label ? ` (${t.label})` : ''} ${t.revokedAt ? 'revoked' : t.expiresAt ? `expires ${t.expiresAt}` : 'active'}`,
                ]),
              ),
      );
    });
  token
    .command('revoke <id>')
    .description('Revoke a token at once; --as <admin> once an admin exists')
    .action(async (id: string, _opts, cmd: Command) => {
      const { revokeToken } = await import('../../client/access');
      await runCommand(
        cmd,
        (ctx) => revokeToken(ctx, id, optionalActor(cmd, ctx)),
        (t) => `revoked ${t.id} (${t.principal})`,
      );
    });
}
