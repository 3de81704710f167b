import type { Command } from 'commander';
import { exitUnlessOk, runCommand } from '../output';

export function registerProvenanceCommands(program: Command): void {
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
      const { provenanceEntries } = await import('../../client/provenance-entries');
      await runCommand(
        cmd,
        (ctx) => provenanceEntries(ctx, { subject: opts.subject, kind: opts.kind, limit: opts.limit }),
        (entries) => entries.map((e) => `#${e.seq} ${e.recordedAt} ${e.kind} ${e.subject}${e.actor ? ` by ${e.actor}` : ''}`).join('\n') || 'no entries',
      );
    });
}
