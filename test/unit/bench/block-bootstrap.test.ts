import { describe, expect, it } from 'vitest';
import { blockBootstrapP99Ratio, percentile } from '../../../bench/stats';

const block = (scale: number, n = 50) => Array.from({ length: n }, (_, i) => scale * (1 + i));

describe('blockBootstrapP99Ratio', () => {
  it('gives the ratio itself when every block is alike', () => {
    const a = Array.from({ length: 10 }, () => block(2));
    const b = Array.from({ length: 10 }, () => block(1));
    expect(blockBootstrapP99Ratio(a, b, { resamples: 100 })).toEqual({ low: 2, high: 2 });
  });

  it('widens with blocks that differ, around the pooled ratio, and is reproducible', () => {
    const a = Array.from({ length: 16 }, (_, k) => block(k % 4 === 0 ? 3 : 1));
    const b = Array.from({ length: 16 }, () => block(1));
    const pooled = percentile(a.flat(), 99) / percentile(b.flat(), 99);
    // Few resamples: a loaded machine runs unit tests slowly, and these bounds do not need many.
    const interval = blockBootstrapP99Ratio(a, b, { resamples: 100 });
    expect(interval.low).toBeLessThan(pooled);
    expect(interval.high).toBeGreaterThanOrEqual(pooled);
    expect(interval.low).toBeLessThan(interval.high);
    expect(blockBootstrapP99Ratio(a, b, { resamples: 100 })).toEqual(interval);
  });

  it('refuses arms of different blocks', () => {
    expect(() => blockBootstrapP99Ratio([block(1)], [])).toThrow(/same blocks/);
  });
});
