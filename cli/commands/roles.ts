import type { Command } from 'commander';

/**
 * `warden worker` and `warden api`: one role of the Warden application per process, so a fleet
 * scales workers and API replicas on their own (`npm start` runs both in one process). The CLI
 * only launches the process entry point (worker/main.ts, compiled like `npm start`'s) with the
 * same stdio and hands it every shutdown signal, so SIGTERM drains it; its exit code is ours.
 */
async function runRole(role: 'worker' | 'api'): Promise<void> {
  const [{ spawn }, { fileURLToPath }, { SHUTDOWN_SIGNALS }] = await Promise.all([
    import('node:child_process'),
    import('node:url'),
    import('../../toolchain/shutdown-signals'),
  ]);
  // import.meta.url names the source file even when compiled (scripts/build-dist.mjs).
  const runner = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
  const child = spawn(process.execPath, [runner, 'worker/main.ts', '--role', role], { stdio: 'inherit' });
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, () => child.kill(signal));
  const code = await new Promise<number>((resolve) => {
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(1));
  });
  process.exitCode = code;
}

export function registerRoleCommands(program: Command): void {
  program
    .command('worker')
    .description(
      'Run a Warden worker (workflows and activities, no HTTP API) until SIGTERM, which drains it; ' +
        '/healthz on WARDEN_WORKER_HEALTH_PORT when set',
    )
    .action(async () => runRole('worker'));
  program
    .command('api')
    .description(
      'Run the Warden HTTP API and dashboard (no worker) on WARDEN_HTTP_HOST:WARDEN_HTTP_PORT until SIGTERM, ' +
        'which lets the requests in flight finish',
    )
    .action(async () => runRole('api'));
}
