import type { Command } from 'commander';
import { exitUnlessOk, runCommand } from '../output';

export function registerProvenanceCommands(program: Command): void {
  const provenance = program.command('provenance').description('The signed, hash-chained audit log');
  provenance
    .command('verify')
    .description(
      'Check every entry (link to the previous hash, content hash, HMAC signature) and the head against its anchor in Temporal',
    )
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
    .option('--actor <principal>', 'only entries by this principal (system: by no person)')
    .option('--since <date-time>', 'only entries recorded at or after this ISO-8601 date-time')
    .option('--until <date-time>', 'only entries recorded at or before this ISO-8601 date-time')
    .option('--before <seq>', 'only entries older than this sequence number (paging)')
    .option('--limit <n>', 'how many', '50')
    .action(
      async (
        opts: {
          subject?: string;
          kind?: string;
          actor?: string;
          since?: string;
          until?: string;
          before?: string;
          limit: string;
        },
        cmd: Command,
      ) => {
        const { provenanceEntries } = await import('../../client/provenance-entries');
        await runCommand(
          cmd,
          (ctx) => provenanceEntries(ctx, { ...opts }),
          (entries) =>
            entries
              .map((e) => `#${e.seq} ${e.recordedAt} ${e.kind} ${e.subject}${e.actor ? ` by ${e.actor}` : ''}`)
              .join('\n') || 'no entries',
        );
      },
    );
  provenance
    .command('show <seq>')
    .description(
      'One entry in full: payload (reasons, output hashes, approvers), hashes, and its signature and link checked',
    )
    .action(async (seq: string, _opts, cmd: Command) => {
      const { provenanceEntry } = await import('../../client/provenance-entries');
      await runCommand(
        cmd,
        (ctx) => provenanceEntry(ctx, Number(seq)),
        (e) =>
          [
            `#${e.seq} ${e.recordedAt} ${e.kind} ${e.subject} by ${e.actor ?? 'system'}`,
            `content hash ${e.contentHash} (${e.checks.contentHash ? 'matches' : 'DOES NOT MATCH'})`,
            `signature ${e.checks.signature ? 'valid' : 'INVALID'}; link to #${e.seq - 1} ${e.checks.link === null ? 'not checked' : e.checks.link ? 'holds' : 'BROKEN'}`,
            JSON.stringify(e.payload, null, 2),
          ].join('\n'),
      );
    });
}
