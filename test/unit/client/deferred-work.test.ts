import { describe, expect, it } from 'vitest';
import { DeferredWork } from '../../../client/deferred-work';

describe('deferred work', () => {
  it('settles only after everything added, including work added while settling', async () => {
    const deferred = new DeferredWork();
    const done: string[] = [];
    let release!: () => void;
    deferred.add(
      new Promise<void>((r) => (release = r)).then(() => {
        done.push('first');
        deferred.add(Promise.resolve().then(() => done.push('added while settling')));
      }),
    );
    expect(deferred.size).toBe(1);
    const settled = deferred.settle().then(() => done.push('settled'));
    await Promise.resolve();
    expect(done).toEqual([]);
    release();
    await settled;
    expect(done).toEqual(['first', 'added while settling', 'settled']);
    expect(deferred.size).toBe(0);
  });

  it('drops a failure instead of failing settle or leaving an unhandled rejection', async () => {
    const deferred = new DeferredWork();
    deferred.add(Promise.reject(new Error('signal lost')));
    await expect(deferred.settle()).resolves.toBeUndefined();
    expect(deferred.size).toBe(0);
  });
});
