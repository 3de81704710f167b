import type { EventEmitter } from 'node:events';

/** What ends a Warden process: Ctrl-C at a terminal, a service manager's stop, a closed terminal. */
export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];
/** A signal, or the parent process gone (toolchain/parent-watch.ts). */
export type ShutdownReason = ShutdownSignal | 'parent exited';

/**
 * Calls `stop` on the first shutdown signal and only then: a second one (Ctrl-C pressed twice, or
 * SIGINT from the terminal followed by SIGTERM from `npm start`) is reported to `again` instead of
 * starting a second shutdown while the first drains. The handlers stay installed, so a repeated
 * signal cannot fall through to Node's default of exiting at once. Returns the same trigger, for
 * reasons other than signals.
 */
export function onFirstShutdownSignal(
  stop: (reason: ShutdownReason) => void,
  again: (reason: ShutdownReason) => void = () => undefined,
  target: Pick<EventEmitter, 'on'> = process,
): (reason: ShutdownReason) => void {
  let stopping = false;
  const trigger = (reason: ShutdownReason) => {
    if (stopping) return again(reason);
    stopping = true;
    stop(reason);
  };
  for (const signal of SHUTDOWN_SIGNALS) target.on(signal, () => trigger(signal));
  return trigger;
}
