import { describe, expect, it } from 'vitest';
import { cachedSnapshot, type MetricsSnapshot } from '../../../client/metrics-snapshot';

const empty = (n: number): MetricsSnapshot => ({
  workflows: [{ kind: 'review', state: 'open', count: n }],
  divergences: [],
  openReviews: [],
  triggers: [],
  deliveries: [],
});

describe('metrics snapshot cache', () => {
  it('reads once per TTL, shares a refresh between concurrent scrapes, and retries after a failure', async () => {
    let clock = 0;
    let reads = 0;
    let fail = false;
    const read = async () => {
      reads += 1;
      if (fail) throw new Error('visibility down');
      return empty(reads);
    };
    const get = cachedSnapshot(read, 15_000, () => clock);
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(reads).toBe(1);
    clock = 14_999;
    await get();
    expect(reads).toBe(1);
    clock = 15_000;
    expect((await get()).workflows[0]!.count).toBe(2);
    clock = 40_000;
    fail = true;
    await expect(get()).rejects.toThrow('visibility down');
    fail = false;
    expect((await get()).workflows[0]!.count).toBe(4);
  });
});
