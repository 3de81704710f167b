/**
 * Which parts of Warden one process runs: `all` (the worker and the HTTP API, what `npm start`
 * runs on the embedded default), `worker` (workflows and activities, no HTTP API) or `api` (the
 * HTTP API and dashboard, no worker). A fleet runs many of each, scaled on their own.
 */
export const PROCESS_ROLES = ['all', 'worker', 'api'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

export function runsWorker(role: ProcessRole): boolean {
  return role !== 'api';
}

export function runsApi(role: ProcessRole): boolean {
  return role !== 'worker';
}

/** `--role <role>` (or `--role=<role>`) from a process's arguments; `all` when absent. */
export function roleFromArgs(args: string[]): ProcessRole {
  const i = args.findIndex((a) => a === '--role' || a.startsWith('--role='));
  if (i < 0) return 'all';
  const value = args[i]!.includes('=') ? args[i]!.slice('--role='.length) : args[i + 1];
  const role = PROCESS_ROLES.find((r) => r === value);
  if (!role) throw new Error(`--role: expected one of ${PROCESS_ROLES.join(', ')}, got ${JSON.stringify(value ?? '')}`);
  return role;
}
