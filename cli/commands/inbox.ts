import type { Command } from 'commander';
import type { Inbox } from '../../client/inbox';
import { actingPrincipal, runCommand } from '../output';

function renderInbox(box: Inbox): string {
  const c = box.counts;
  const head = `${box.principal}: ${c.total} waiting (${c.review} reviews, ${c.proposal} proposals, ${c.endorsement} endorsements)`;
  return [
    head,
    ...box.items.map(
      (i) =>
        `  ${i.kind.padEnd(11)} ${i.id}  ${i.state}: ${i.action}  due ${i.deadline ?? 'never'}\n              ${i.summary}`,
    ),
  ].join('\n');
}

export function registerInboxCommands(program: Command): void {
  program
    .command('inbox')
    .description(
      'What waits on you (--as): reviews to vote on or open, proposals to approve, endorsements to decide or steer, soonest deadline first',
    )
    .action(async (_opts, cmd: Command) => {
      const { inbox } = await import('../../client/inbox');
      await runCommand(cmd, (ctx) => inbox(ctx, actingPrincipal(cmd, ctx)), renderInbox);
    });
}
