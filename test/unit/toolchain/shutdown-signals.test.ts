import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onFirstShutdownSignal } from '../../../toolchain/shutdown-signals';

describe('shutdown signals', () => {
  it('stops once on SIGINT, SIGTERM or SIGHUP, whichever comes first, and reports the rest', () => {
    for (const [first, second] of [
      ['SIGINT', 'SIGTERM'],
      ['SIGTERM', 'SIGINT'],
      ['SIGINT', 'SIGINT'],
      ['SIGHUP', 'SIGTERM'],
    ] as const) {
      const emitter = new EventEmitter();
      const stops: string[] = [];
      const agains: string[] = [];
      onFirstShutdownSignal(
        (s) => stops.push(s),
        (s) => agains.push(s),
        emitter,
      );
      emitter.emit(first);
      emitter.emit(second);
      emitter.emit('SIGTERM');
      expect(stops).toEqual([first]);
      expect(agains).toEqual([second, 'SIGTERM']);
      // Still listening: a later signal never falls through to the default of exiting at once.
      expect(emitter.listenerCount('SIGINT')).toBe(1);
    }
  });

  it('returns the trigger, for a reason other than a signal (the parent gone)', () => {
    const emitter = new EventEmitter();
    const stops: string[] = [];
    const trigger = onFirstShutdownSignal(
      (s) => stops.push(s),
      () => undefined,
      emitter,
    );
    trigger('parent exited');
    emitter.emit('SIGTERM');
    expect(stops).toEqual(['parent exited']);
  });
});
