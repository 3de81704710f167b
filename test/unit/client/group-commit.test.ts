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

  it('with a linger, a flush after one of several waits for callers arriving within it; after one of one it does not', async () => {
    const { batches, flush } = recordingFlush(1);
    const queue = new GroupCommit<number, number>(flush, 500, 1, 2000);
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // A lone caller: its flush starts at once, and so does the next after a flush of one.
    await queue.submit(1);
    const second = queue.submit(2);
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1], [2]]);
    await second;
    // Two in one turn go together at once (the last flush carried one) ...
    await Promise.all([queue.submit(3), queue.submit(4)]);
    expect(batches.at(-1)).toEqual([3, 4]);
    // ... and the flush after that lingers: a caller 100 ms later still joins it (the linger is 2 s, so
    // a loaded machine has margin; it can only make the linger end later).
    const fifth = queue.submit(5);
    await sleep(100);
    expect(batches).toHaveLength(3);
    await Promise.all([fifth, queue.submit(6)]);
    expect(batches.at(-1)).toEqual([5, 6]);
  });

  it('sends the next flush before answering the callers of the one that committed, when items waited', async () => {
    const events: string[] = [];
    const releases: (() => void)[] = [];
    const queue = new GroupCommit<number, number>(
      (items) =>
        new Promise<number[]>((resolve) => {
          events.push(`flush ${items.join(',')}`);
          releases.push(() => resolve(items.map((i) => i * 10)));
        }),
    );
    const answered = (p: Promise<number>) => p.then((o) => events.push(`answer ${o}`));
    const first = answered(queue.submit(1));
    while (releases.length < 1) await new Promise((resolve) => setImmediate(resolve));
    const second = answered(queue.submit(2));
    releases[0]!();
    await first;
    expect(events).toEqual(['flush 1', 'flush 2', 'answer 10']);
    // Nothing waits behind the second: its caller is answered at once.
    releases[1]!();
    await second;
    expect(events).toEqual(['flush 1', 'flush 2', 'answer 10', 'answer 20']);
  });

  it('a linger ends as soon as as many callers wait as the last flush carried', async () => {
    const { batches, flush } = recordingFlush(1);
    // A linger no test would wait out: only its early end lets the second flush start.
    const queue = new GroupCommit<number, number>(flush, 500, 1, 600_000);
    await Promise.all([queue.submit(1), queue.submit(2), queue.submit(3)]);
    // Fewer than three waiting: the flush still lingers for more.
    const fourth = queue.submit(4);
    const fifth = queue.submit(5);
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toHaveLength(1);
    // The third caller is back: the flush starts without waiting out the linger.
    await Promise.all([fourth, fifth, queue.submit(6)]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
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

  describe('with more than one flush in flight (maxInFlight)', () => {
    /** A flush held open until the test releases it, recording how many run at once. */
    function gatedFlush() {
      const started: { items: number[]; release: (fail?: Error) => void }[] = [];
      let running = 0;
      let most = 0;
      const flush = (items: number[]) =>
        new Promise<number[]>((resolve, reject) => {
          running += 1;
          most = Math.max(most, running);
          started.push({
            items,
            release: (fail) => {
              running -= 1;
              if (fail) reject(fail);
              else resolve(items.map((i) => i * 10));
            },
          });
        });
      return { started, flush, most: () => most };
    }
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 1000 && !ok(); i++) await turn();
      expect(ok()).toBe(true);
    };

    it('starts the next flush while the previous one is still in flight, never more than the bound', async () => {
      const gate = gatedFlush();
      const queue = new GroupCommit<number, number>(gate.flush, 500, 2);
      const answered: number[] = [];
      const submit = (i: number) => queue.submit(i).then((o) => answered.push(o));
      const first = submit(1);
      await until(() => gate.started.length === 1);
      const second = submit(2);
      await until(() => gate.started.length === 2);
      // Both in flight: what arrives now waits for a slot, gathered into one batch.
      const rest = [3, 4, 5].map(submit);
      await turn();
      await turn();
      expect(gate.started).toHaveLength(2);
      expect(queue.inFlight).toBe(2);
      expect(queue.size).toBe(3);
      // Nobody is answered before their own flush commits, whatever the other one does.
      expect(answered).toEqual([]);
      gate.started[1]!.release();
      await second;
      expect(answered).toEqual([20]);
      await until(() => gate.started.length === 3);
      expect(gate.started.map((s) => s.items)).toEqual([[1], [2], [3, 4, 5]]);
      gate.started[0]!.release();
      gate.started[2]!.release();
      await Promise.all([first, ...rest]);
      expect(answered.sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50]);
      expect(gate.most()).toBe(2);
    });

    it('with an overlap bound, a flush starts behind a running one only once minBatch items wait and while allowed', async () => {
      const gate = gatedFlush();
      let allowed = true;
      const queue = new GroupCommit<number, number>(gate.flush, 500, 2, 0, { minBatch: 2, allowed: () => allowed });
      const first = queue.submit(1);
      await until(() => gate.started.length === 1);
      // One item waiting is not enough to start a second flush behind the running one ...
      const second = queue.submit(2);
      for (let i = 0; i < 5; i++) await turn();
      expect(gate.started).toHaveLength(1);
      // ... two are.
      const third = queue.submit(3);
      await until(() => gate.started.length === 2);
      expect(gate.started[1]!.items).toEqual([2, 3]);
      // Not allowed: however many wait, nothing starts behind a running flush.
      gate.started[0]!.release();
      await first;
      allowed = false;
      const later = [4, 5, 6].map((i) => queue.submit(i));
      for (let i = 0; i < 5; i++) await turn();
      expect(gate.started).toHaveLength(2);
      // With none running, a flush starts whatever the terms (it overlaps nothing).
      gate.started[1]!.release();
      await Promise.all([second, third]);
      await until(() => gate.started.length === 3);
      expect(gate.started[2]!.items).toEqual([4, 5, 6]);
      gate.started[2]!.release();
      expect(await Promise.all(later)).toEqual([40, 50, 60]);
      expect(gate.most()).toBe(2);
    });

    it('a failed flush fails only its own callers while the other flush in flight succeeds', async () => {
      const gate = gatedFlush();
      const queue = new GroupCommit<number, number>(gate.flush, 500, 2);
      const first = queue.submit(1);
      await until(() => gate.started.length === 1);
      const second = [queue.submit(2), queue.submit(3)];
      await until(() => gate.started.length === 2);
      gate.started[0]!.release(new Error('deadlock detected'));
      gate.started[1]!.release();
      await expect(first).rejects.toThrow(/deadlock detected/);
      expect(await Promise.all(second)).toEqual([20, 30]);
      const third = queue.submit(4);
      await until(() => gate.started.length === 3);
      gate.started[2]!.release();
      expect(await third).toBe(40);
    });

    it('keeps the bound under a backlog and drain waits for every flush in flight and every item', async () => {
      const { batches, flush } = recordingFlush(5);
      let running = 0;
      let most = 0;
      const queue = new GroupCommit<number, number>(
        async (items) => {
          running += 1;
          most = Math.max(most, running);
          try {
            return await flush(items);
          } finally {
            running -= 1;
          }
        },
        3,
        2,
      );
      const outcomes: number[] = [];
      for (let i = 0; i < 20; i++) void queue.submit(i).then((o) => outcomes.push(o));
      const draining = queue.drain();
      void queue.submit(99).then((o) => outcomes.push(o));
      await draining;
      await Promise.resolve();
      expect(outcomes.sort((a, b) => a - b)).toEqual([...Array.from({ length: 20 }, (_, i) => i * 10), 990]);
      expect(queue.size).toBe(0);
      expect(queue.inFlight).toBe(0);
      expect(most).toBe(2);
      expect(batches.every((b) => b.length <= 3)).toBe(true);
      // Cut in submission order.
      expect(batches.flat()).toEqual([...Array.from({ length: 20 }, (_, i) => i), 99]);
    });

    it('at the default bound of one, a flush never starts while another is in flight', async () => {
      const gate = gatedFlush();
      const queue = new GroupCommit<number, number>(gate.flush);
      const first = queue.submit(1);
      await until(() => gate.started.length === 1);
      const second = queue.submit(2);
      for (let i = 0; i < 20; i++) await turn();
      expect(gate.started).toHaveLength(1);
      gate.started[0]!.release();
      await until(() => gate.started.length === 2);
      gate.started[1]!.release();
      expect(await Promise.all([first, second])).toEqual([10, 20]);
      expect(gate.most()).toBe(1);
    });
  });
});
