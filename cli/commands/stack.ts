import type { Command } from 'commander';
import type { Health } from '../../client/health';
import { exitUnlessOk, runCommand } from '../output';

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

export function registerStackCommands(program: Command): void {
  program
    .command('status')
    .description('Report Temporal, database, worker and HTTP API health; exit 1 when any is down')
    .action(async (_opts, cmd: Command) => {
      const [{ loadConfig }, { stackHealth }] = await Promise.all([
        import('../../config/env'),
        import('../../client/stack-health'),
      ]);
      // No context of its own: the stack's HTTP API usually answers for every part (see stackHealth).
      await runCommand(cmd, async ({ config }) => exitUnlessOk(await stackHealth(config)), renderHealth, {
        openContext: async () => ({ config: loadConfig(), close: async () => undefined }),
      });
    });
}
