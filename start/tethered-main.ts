import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { stopWhenParentExits } from '../toolchain/parent-watch';
import { onFirstShutdownSignal } from '../toolchain/shutdown-signals';

/**
 * `tethered-main.ts <command> [args…]`: runs a program that cannot watch its parent itself (the
 * Temporal dev server) so that it stops with `npm start` even when `npm start` is killed outright.
 * `npm start` runs this in a process group of its own, and the program stays in that group: a
 * shutdown signal here, or `npm start` gone (parent-watch.ts), sends the program SIGTERM once;
 * this process ends with the program's exit status. Output goes straight through.
 */
const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: tethered-main.ts <command> [args…]');
  process.exit(2);
}

const program = spawn(command, args, { stdio: 'inherit' });
const stop = () => {
  if (program.exitCode === null && program.signalCode === null) program.kill('SIGTERM');
};
const trigger = onFirstShutdownSignal(stop);
stopWhenParentExits(() => trigger('parent exited'));
program.on('error', (error) => {
  console.error(`cannot run ${command}: ${error.message}`);
  process.exit(127);
});
program.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
