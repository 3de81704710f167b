import type { EventEmitter } from 'node:events';

/** What ends a Warden process: Ctrl-C at a terminal, or a service manager's stop. */
export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/**
 * Calls `stop` on the first SIGINT or SIGTERM and only then: a second signal (Ctrl-C pressed
 * twice, or SIGINT from the terminal followed by SIGTERM from `npm start`) is reported to
 * `again` instead of starting a second shutdown while the first drains. The handlers stay
 * installed, so a repeated signal cannot fall through to Node's default of exiting at once.
 */
export function onFirstShutdownSignal(
  stop: (signal: ShutdownSignal) => void,
  again: (signal: ShutdownSignal) => void = () => undefined,
  target: Pick<EventEmitter, 'on'> = process,
): void {
  let stopping = false;
  for (const signal of SHUTDOWN_SIGNALS) {
    target.on(signal, () => {
      if (stopping) return again(signal);
      stopping = true;
      stop(signal);
    });
  }
}
