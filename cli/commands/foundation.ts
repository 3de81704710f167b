import type { Command } from 'commander';
import { checkHealth, type Health } from '../../client/health';
import { grantPrincipal, principals } from '../../client/principals';
import { listProvenance, verifyProvenanceChain } from '../../db/provenance-log';
import { EXIT_FAILURE, runCommand, table } from '../output';

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
      await runCommand(
        cmd,
        async (ctx) => {
          const health = await checkHealth(ctx, { checkApi: true });
          return { value: health, exitCode: health.ok ? 0 : EXIT_FAILURE };
        },
        renderHealth,
      );
    });

  const principal = program.command('principal').description('People and services Warden acts for, and their roles');
  principal
    .command('add <name>')
    .description('Add a principal (or grant more roles to an existing one)')
    .requiredOption('--role <role...>', 'role(s) to grant, e.g. --role Reviewer safety-lead')
    .action(async (name: string, opts: { role: string[] }, cmd: Command) => {
      await runCommand(
        cmd,
        (ctx) => grantPrincipal(ctx, name, opts.role),
        (r) => `${r.created ? 'added' : 'updated'} ${r.principal.name}: roles ${r.principal.roles.join(', ')}`,
      );
    });
  principal
    .command('list')
    .description('List principals and their roles')
    .action(async (_opts, cmd: Command) => {
      await runCommand(
        cmd,
        (ctx) => principals(ctx),
        (list) => (list.length === 0 ? 'no principals yet' : table(list.map((p) => [p.name, p.roles.join(', ')]))),
      );
    });

  const provenance = program.command('provenance').description('The signed, hash-chained audit log');
  provenance
    .command('verify')
    .description('Check every entry: link to the previous hash, content hash and HMAC signature')
    .action(async (_opts, cmd: Command) => {
      await runCommand(
        cmd,
        async (ctx) => {
          const v = await verifyProvenanceChain(ctx.pool, ctx.provenanceKey);
          return { value: v, exitCode: v.ok ? 0 : EXIT_FAILURE };
        },
        (v) =>
          v.ok
            ? `chain intact: ${v.entries} entries, head ${v.head}`
            : `chain BROKEN at entry ${v.firstBad!.seq}: ${v.firstBad!.reason} (${v.entries} entries before it verified)`,
      );
    });
  provenance
    .command('list')
    .description('Recent entries, newest first')
    .option('--subject <subject>', 'only entries about this subject, e.g. endorsement:research-bot-…')
    .option('--kind <prefix>', 'only entries whose kind starts with this, e.g. review.')
    .option('--limit <n>', 'how many', '50')
    .action(async (opts: { subject?: string; kind?: string; limit: string }, cmd: Command) => {
      await runCommand(
        cmd,
        (ctx) => listProvenance(ctx.pool, { subject: opts.subject, kind: opts.kind, limit: Number.parseInt(opts.limit, 10) || 50 }),
        (entries) => entries.map((e) => `#${e.seq} ${e.recordedAt} ${e.kind} ${e.subject}${e.actor ? ` by ${e.actor}` : ''}`).join('\n') || 'no entries',
      );
    });
}
