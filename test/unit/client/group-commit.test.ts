import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../client/group-commit';

/** A flush that takes `ms` and remembers the batches it was given. */
function recordingFlush(ms = 5) {
  const batches: number[][] = [];
  const flush = async (items: number[]) => {
    batches.push(items);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return items.map((i) => i * 10);
  };
  return { batches, flush };
}

describe('GroupCommit', () => {
  it('answers each caller with its own outcome, only after the flush that carried its item', async () => {
    const { batches, flush } = recordingFlush();
    let flushed = 0;
    const queue = new GroupCommit<number, number>(async (items) => {
      const out = await flush(items);
      flushed += items.length;
      return out;
    });
    const answers = await Promise.all(
      [1, 2, 3].map(async (i) => ({ out: await queue.submit(i), flushedWhenAnswered: flushed })),
    );
    expect(answers.map((a) => a.out)).toEqual([10, 20, 30]);
    expect(answers.every((a) => a.flushedWhenAnswered >= 1)).toBe(true);
    expect(batches.flat().sort()).toEqual([1, 2, 3]);
  });

  it('batches items that arrive while a flush is in flight into the next one', async () => {
    const { batches, flush } = recordingFlush(20);
    const queue = new GroupCommit<number, number>(flush);
    const first = queue.submit(0);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const rest = Array.from({ length: 50 }, (_, i) => queue.submit(i + 1));
    await Promise.all([first, ...rest]);
    expect(batches).toHaveLength(2);
    expect(batches[1]).toHaveLength(50);
  });

  it('drain waits for every item submitted, including those submitted while draining', async () => {
    const { batches, flush } = recordingFlush(10);
    const queue = new GroupCommit<number, number>(flush);
    const outcomes: number[] = [];
    for (let i = 0; i < 5; i++) void queue.submit(i).then((o) => outcomes.push(o));
    const draining = queue.drain();
    void queue.submit(99).then((o) => outcomes.push(o));
    await draining;
    await Promise.resolve();
    expect(outcomes.sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40, 990]);
    expect(queue.size).toBe(0);
    expect(batches.flat()).toHaveLength(6);
  });

  it('a failed flush fails every caller of that batch and the next batch still flushes', async () => {
    let calls = 0;
    const queue = new GroupCommit<number, number>(async (items) => {
      calls += 1;
      if (calls === 1) throw new Error('database went away');
      return items;
    });
    const failing = [queue.submit(1), queue.submit(2)];
    await expect(Promise.all(failing)).rejects.toThrow(/database went away/);
    await expect(failing[1]).rejects.toThrow(/database went away/);
    expect(await queue.submit(3)).toBe(3);
  });

  it('splits a backlog larger than maxBatch', async () => {
    const { batches, flush } = recordingFlush(1);
    const queue = new GroupCommit<number, number>(flush, 4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => queue.submit(i)));
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
  });
});
