import { Command, CommanderError } from 'commander';
import { registerStackCommands } from './commands/stack';
import { registerRoleCommands } from './commands/roles';
import { registerAccessCommands } from './commands/access';
import { registerProvenanceCommands } from './commands/provenance';
import { registerEndorsementCommands } from './commands/endorsement';
import { registerDelegationCommands } from './commands/delegation';
import { registerGuardCommands } from './commands/guard';
import { registerNotificationCommands } from './commands/notifications';
import { registerInboxCommands } from './commands/inbox';
import { EXIT_USAGE } from './output';

/**
 * Every command file registers its commands with their options and help, and imports what a
 * command runs only when it runs (`await import()` inside the action handler; types with `import
 * type`): `warden --help` loads commander and these files, and `warden status` only the health
 * check. A static import of a client, database or activity module here or in a command file would
 * put it on every call's path (test/unit/cli/lazy-commands.test.ts watches for that).
 */
export function buildProgram(): Command {
  const program = new Command('warden')
    .description('Warden: the durable control plane for changing AI agents safely')
    .option('--json', 'print machine-readable JSON')
    .option('--as <principal>', 'the principal to act for (default: WARDEN_PRINCIPAL)')
    .showHelpAfterError()
    .exitOverride();
  registerStackCommands(program);
  registerRoleCommands(program);
  registerAccessCommands(program);
  registerProvenanceCommands(program);
  registerEndorsementCommands(program);
  registerDelegationCommands(program);
  registerGuardCommands(program);
  registerNotificationCommands(program);
  registerInboxCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successful outcomes; anything else commander rejects is a usage error.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    throw error;
  }
}

await main(process.argv);
