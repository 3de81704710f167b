/**
 * Runs `count` operations with at most `concurrency` in flight (a closed-loop load: each worker
 * starts its next operation when the previous one ends) and returns each one's latency in ms, in
 * the order they were started.
 */
export async function closedLoop(
  count: number,
  concurrency: number,
  op: (index: number) => Promise<unknown>,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies = new Array<number>(count);
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const t0 = performance.now();
      await op(i);
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { latencies, wallMs: performance.now() - started };
}

/** Samples the process's resident set size until stopped; `peak` is the largest seen. */
export function sampleRss(everyMs = 200): { stop(): { peakBytes: number; samples: number[] } } {
  const samples: number[] = [];
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    samples.push(rss);
    if (rss > peak) peak = rss;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { peakBytes: peak, samples };
    },
  };
}
