/** Set by `npm start` (start/main.ts) for each child it runs in a process group of its own. */
export const PARENT_PID_VARIABLE = 'WARDEN_PARENT_PID';

/**
 * A child of `npm start` runs in a process group of its own, so nothing reaches it when `npm
 * start` itself is killed outright (SIGKILL, a crash): it would keep running, holding its port.
 * This calls `stop` once the parent named in WARDEN_PARENT_PID is gone (the child has been
 * re-parented), so the child shuts down as it would on SIGTERM. Without the variable (the worker
 * run on its own, in a container) it does nothing.
 */
export function stopWhenParentExits(stop: () => void, env: NodeJS.ProcessEnv = process.env, intervalMs = 1000): void {
  const parent = Number(env[PARENT_PID_VARIABLE]);
  if (!Number.isInteger(parent) || parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, intervalMs);
  timer.unref();
}
