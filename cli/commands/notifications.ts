import type { Command } from 'commander';
import { NOTIFICATION_EVENT_TYPES } from '../../domain/notifications/events';
import { optionalActor, runCommand, table } from '../output';

export function registerNotificationCommands(program: Command): void {
  const webhook = program
    .command('webhook')
    .description('Webhooks notified of loop transitions, signed with HMAC-SHA256 (X-Warden-Signature)');
  webhook
    .command('add <url>')
    .description(
      `Subscribe a URL to event types (needs the admin role: --as <admin>): ${NOTIFICATION_EVENT_TYPES.join(', ')}`,
    )
    .requiredOption('--event <type...>', 'event type(s), e.g. --event proposal.ready review.opened')
    .option('--secret <secret>', 'signing secret (at least 16 characters; default: generated and printed once)')
    .option('--max-attempts <n>', 'delivery attempts before giving up (1-20)', '6')
    .action(async (url: string, opts: { event: string[]; secret?: string; maxAttempts: string }, cmd: Command) => {
      const { addWebhook } = await import('../../client/notifications');
      await runCommand(
        cmd,
        (ctx) =>
          addWebhook(
            ctx,
            { url, events: opts.event, secret: opts.secret, maxAttempts: opts.maxAttempts },
            optionalActor(cmd, ctx),
          ),
        (r) =>
          `added ${r.webhook.id} → ${r.webhook.url} for ${r.webhook.events.join(', ')}` +
          (r.secretGenerated ? `\nsigning secret (shown once): ${r.secret}` : ''),
      );
    });
  webhook
    .command('list')
    .description('List webhook subscriptions (secrets are never shown)')
    .action(async (_opts, cmd: Command) => {
      const { webhooks } = await import('../../client/notifications');
      await runCommand(
        cmd,
        (ctx) => webhooks(ctx),
        (list) =>
          list.length === 0
            ? 'no webhooks'
            : table(list.map((w) => [w.id, `${w.url}  ${w.events.join(', ')}  (max ${w.maxAttempts} attempts)`])),
      );
    });
  webhook
    .command('remove <id>')
    .description('Remove a webhook subscription; its delivery history is kept (needs the admin role: --as <admin>)')
    .action(async (id: string, _opts, cmd: Command) => {
      const { removeWebhook } = await import('../../client/notifications');
      await runCommand(
        cmd,
        (ctx) => removeWebhook(ctx, id, optionalActor(cmd, ctx)),
        (w) => `removed ${w.id} (${w.url})`,
      );
    });
  webhook
    .command('deliveries')
    .description('Recent deliveries, newest first, with attempts, status, response code and last error')
    .option('--event <type>', 'only deliveries of this event type')
    .option('--webhook <id>', 'only deliveries to this webhook')
    .option('--limit <n>', 'how many', '50')
    .action(async (opts: { event?: string; webhook?: string; limit: string }, cmd: Command) => {
      const { webhookDeliveries } = await import('../../client/notifications');
      await runCommand(
        cmd,
        (ctx) => webhookDeliveries(ctx, { event: opts.event, webhook: opts.webhook, limit: opts.limit }),
        (list) =>
          list.length === 0
            ? 'no deliveries'
            : list
                .map(
                  (d) =>
                    `${d.createdAt} ${d.eventType} ${d.subject} → ${d.subscriptionId}: ${d.status} after ${d.attempts} attempt(s)` +
                    (d.responseCode !== null ? ` [${d.responseCode}]` : '') +
                    (d.lastError && d.status !== 'delivered' ? ` ${d.lastError}` : ''),
                )
                .join('\n'),
      );
    });
}
