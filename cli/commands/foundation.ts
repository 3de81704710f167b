import type { Command } from 'commander';
import type { Health } from '../../client/health';
import { exitUnlessOk, optionalActor, runCommand, table } from '../output';

function renderHealth(h: Health): string {
  const mark = (ok: boolean) => (ok ? 'ok  ' : 'DOWN');
  const lines = [
    `${mark(h.temporal.ok)} temporal  ${h.temporal.address} (${h.temporal.namespace}): ${h.temporal.detail}`,
    `${mark(h.database.ok)} database  ${h.database.detail}${h.database.schemaVersion !== null ? ` (schema ${h.database.schemaVersion})` : ''}`,
    `${mark(h.worker.ok)} worker    ${h.worker.taskQueue}: ${h.worker.detail}`,
  ];
  if (h.api) lines.push(`${mark(h.api.ok)} api       ${h.api.url}: ${h.api.detail}`);
  return lines.join('\n');
}

export function registerFoundationCommands(program: Command): void {
  program
    .command('status')
    .description('Report Temporal, database, worker and HTTP API health; exit 1 when any is down')
    .action(async (_opts, cmd: Command) => {
      const [{ loadConfig }, { stackHealth }] = await Promise.all([import('../../config/env'), import('../../client/stack-health')]);
      // No context of its own: the stack's HTTP API usually answers for every part (see stackHealth).
      await runCommand(
        cmd,
        async ({ config }) => exitUnlessOk(await stackHealth(config)),
        renderHealth,
        { openContext: async () => ({ config: loadConfig(), close: async () => undefined }) },
      );
    });

  const principal = program.command('principal').description('People and services Warden acts for, and their roles');
  principal
    .command('add <name>')
    .description('Add a principal (or grant more roles to an existing one); --as <admin> once an admin exists')
    .requiredOption('--role <role...>', 'role(s) to grant, e.g. --role Reviewer safety-lead')
    .action(async (name: string, opts: { role: string[] }, cmd: Command) => {
      const { grantPrincipal } = await import('../../client/principals');
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
      const { principals } = await import('../../client/principals');
      await runCommand(
        cmd,
        (ctx) => principals(ctx),
        (list) => (list.length === 0 ? 'no principals yet' : table(list.map((p) => [p.name, p.roles.join(', ')]))),
      );
    });

  const token = program.command('token').description('Bearer tokens for the HTTP API and the dashboard');
  token
    .command('create')
    .description('Create a token for a principal (shown once; only its hash is stored); --as <admin> once an admin exists')
    .requiredOption('--principal <name>', 'who the token speaks for')
    .option('--label <text>', 'what it is for, e.g. "dashboard" or "ci"')
    .option('--expires-in-days <n>', 'expire after this many days (default: never)')
    .action(async (opts: { principal: string; label?: string; expiresInDays?: string }, cmd: Command) => {
      const { createToken } = await import('../../client/principals');
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
    .option('--principal <name>', 'only this principal\'s tokens')
    .action(async (opts: { principal?: string }, cmd: Command) => {
      const { listApiTokens } = await import('../../db/api-tokens');
      await runCommand(
        cmd,
        (ctx) => listApiTokens(ctx.pool, opts.principal),
        (list) =>
          list.length === 0
            ? 'no tokens'
            : table(list.map((t) => [t.id, `${t.principal}${t.label ? ` (${t.label})` : ''} ${t.revokedAt ? 'revoked' : t.expiresAt ? `expires ${t.expiresAt}` : 'active'}`])),
      );
    });
  token
    .command('revoke <id>')
    .description('Revoke a token at once; --as <admin> once an admin exists')
    .action(async (id: string, _opts, cmd: Command) => {
      const { revokeToken } = await import('../../client/principals');
      await runCommand(
        cmd,
        (ctx) => revokeToken(ctx, id, optionalActor(cmd, ctx)),
        (t) => `revoked ${t.id} (${t.principal})`,
      );
    });

  const provenance = program.command('provenance').description('The signed, hash-chained audit log');
  provenance
    .command('verify')
    .description('Check every entry (link to the previous hash, content hash, HMAC signature) and the head against its anchor in Temporal')
    .action(async (_opts, cmd: Command) => {
      const { verifyProvenance } = await import('../../client/provenance-verify');
      await runCommand(
        cmd,
        async (ctx) => exitUnlessOk(await verifyProvenance(ctx.pool, ctx.temporal, ctx.provenanceKey)),
        (v) =>
          (v.ok
            ? `chain intact: ${v.entries} entries, head ${v.head}`
            : `chain BROKEN at entry ${v.firstBad!.seq}: ${v.firstBad!.reason} (${v.entries} entries before it verified)`) +
          `\nhead anchor ${v.anchor.state}: ${v.anchor.detail}`,
      );
    });
  provenance
    .command('list')
    .description('Recent entries, newest first')
    .option('--subject <subject>', 'only entries about this subject, e.g. endorsement:research-bot-…')
    .option('--kind <prefix>', 'only entries whose kind starts with this, e.g. review.')
    .option('--limit <n>', 'how many', '50')
    .action(async (opts: { subject?: string; kind?: string; limit: string }, cmd: Command) => {
      const { listProvenance } = await import('../../db/provenance-log');
      await runCommand(
        cmd,
        (ctx) => listProvenance(ctx.pool, { subject: opts.subject, kind: opts.kind, limit: opts.limit }),
        (entries) => entries.map((e) => `#${e.seq} ${e.recordedAt} ${e.kind} ${e.subject}${e.actor ? ` by ${e.actor}` : ''}`).join('\n') || 'no entries',
      );
    });
}
