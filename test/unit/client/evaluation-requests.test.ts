import { describe, expect, it } from 'vitest';
import type { WardenContext } from '../../../client/context';
import { DeferredWork } from '../../../client/deferred-work';
import { EVALUATION_INTERVAL_MS, EvaluationRequests } from '../../../client/evaluation-requests';

/** A context whose Temporal client records signal-with-start calls and answers them when released. */
function fakeContext() {
  const signals: { workflowId: string; requestId: string }[] = [];
  const releases: (() => void)[] = [];
  const temporal = {
    workflow: {
      signalWithStart: (_type: string, opts: { workflowId: string; signalArgs: [{ requestId: string }] }) => {
        signals.push({ workflowId: opts.workflowId, requestId: opts.signalArgs[0].requestId });
        return new Promise<void>((resolve) => releases.push(resolve));
      },
    },
  };
  const ctx = { temporal, taskQueue: 'q', deferred: new DeferredWork() } as unknown as WardenContext;
  return { ctx, signals, release: () => releases.shift()?.() };
}

/** An interval the test ends by hand: each wait for it resolves when `pass` is called. */
function heldInterval() {
  const waiting: (() => void)[] = [];
  return {
    wait: () => new Promise<void>((resolve) => waiting.push(resolve)),
    pass: () => waiting.splice(0).forEach((resolve) => resolve()),
    get held() {
      return waiting.length;
    },
  };
}

/** Polls `done` every 10 ms, for up to 60 s. */
async function eventually(done: () => boolean): Promise<void> {
  for (const t0 = Date.now(); !done(); await new Promise((resolve) => setTimeout(resolve, 10)))
    if (Date.now() - t0 > 60_000) throw new Error('not within 60 s');
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const turns = async (n = 4) => {
  for (let i = 0; i < n; i++) await turn();
};

const A = 'ABP-00000001';
const B = 'ABP-00000002';
const workflowOf = (abpId: string) => `delegation-evaluation-${abpId}`;

describe('EvaluationRequests', () => {
  it('sends one signal per ABP in flight; writes meanwhile ride on the next one, which goes out after it', async () => {
    const { ctx, signals, release } = fakeContext();
    const requests = new EvaluationRequests(ctx, { intervalMs: 0 });
    const first = requests.request([A]);
    await turn();
    expect(signals).toHaveLength(1);
    // The first signal is in flight: these three share one request, sent once it is answered.
    const later = [requests.request([A]), requests.request([A]), requests.request([A, B])];
    await turn();
    expect(new Set(later.map((r) => r[A])).size).toBe(1);
    expect(later[0]![A]).not.toBe(first[A]);
    expect(signals.map((s) => s.workflowId)).toEqual([workflowOf(A), workflowOf(B)]);
    release();
    await turns();
    expect(signals).toHaveLength(3);
    expect(signals[2]).toEqual({ workflowId: workflowOf(A), requestId: later[0]![A] });
    release();
    release();
    await ctx.deferred.settle();
  });

  it('signals the first write at once; every write within the interval after it rides on one signal at its end', async () => {
    const { ctx, signals, release } = fakeContext();
    const interval = heldInterval();
    const requests = new EvaluationRequests(ctx, { intervalMs: 60_000, wait: interval.wait });
    const first = requests.request([A]);
    await turn();
    expect(signals).toEqual([{ workflowId: workflowOf(A), requestId: first[A] }]);
    // Answered at once, yet the interval since it went out holds the next signal back.
    release();
    await turns();
    expect(interval.held).toBe(1);
    const burst = Array.from({ length: 20 }, () => requests.request([A])[A]);
    await turns();
    expect(new Set(burst).size).toBe(1);
    expect(burst[0]).not.toBe(first[A]);
    expect(signals).toHaveLength(1);
    interval.pass();
    await turns();
    // One signal answers the twenty writes.
    expect(signals).toEqual([
      { workflowId: workflowOf(A), requestId: first[A] },
      { workflowId: workflowOf(A), requestId: burst[0] },
    ]);
    release();
    await turns();
    interval.pass();
    await ctx.deferred.settle();
  });

  it('a write after a signal went out is never folded into it: it gets a signal of its own after the interval', async () => {
    const { ctx, signals, release } = fakeContext();
    const interval = heldInterval();
    const requests = new EvaluationRequests(ctx, { intervalMs: 60_000, wait: interval.wait });
    requests.request([A]);
    await turn();
    interval.pass();
    release();
    await turns();
    // The second signal is in flight (its evaluation may be running): a write now needs a third.
    const second = requests.request([A])[A];
    interval.pass();
    await turns();
    expect(signals.at(-1)!.requestId).toBe(second);
    const during = requests.request([A])[A];
    expect(during).not.toBe(second);
    release();
    await turns();
    expect(signals.map((s) => s.requestId)).not.toContain(during);
    interval.pass();
    await turns();
    expect(signals.at(-1)).toEqual({ workflowId: workflowOf(A), requestId: during });
    release();
    await turns();
    interval.pass();
    await ctx.deferred.settle();
  });

  it('a failed signal does not stop the next one', async () => {
    const calls: string[] = [];
    const failing = {
      workflow: {
        signalWithStart: (_type: string, opts: { signalArgs: [{ requestId: string }] }) => {
          calls.push(opts.signalArgs[0].requestId);
          return Promise.reject(new Error('Temporal is down'));
        },
      },
    };
    const ctx = { temporal: failing, taskQueue: 'q', deferred: new DeferredWork() } as unknown as WardenContext;
    const interval = heldInterval();
    const requests = new EvaluationRequests(ctx, { intervalMs: 60_000, wait: interval.wait });
    const first = requests.request([A])[A];
    await turns();
    const second = requests.request([A])[A];
    interval.pass();
    await turns();
    expect(calls).toEqual([first, second]);
    interval.pass();
    await ctx.deferred.settle();
  });

  it('ABPs are spaced apart each on its own: a write to another ABP goes out at once', async () => {
    const { ctx, signals, release } = fakeContext();
    const interval = heldInterval();
    const requests = new EvaluationRequests(ctx, { intervalMs: 60_000, wait: interval.wait });
    requests.request([A]);
    await turn();
    release();
    await turns();
    requests.request([A]);
    const other = requests.request([B])[B];
    await turns();
    expect(signals.map((s) => s.workflowId)).toEqual([workflowOf(A), workflowOf(B)]);
    expect(signals[1]!.requestId).toBe(other);
    release();
    interval.pass();
    await turns();
    release();
    await turns();
    interval.pass();
    await ctx.deferred.settle();
  });

  it('by default a second signal for one ABP waits EVALUATION_INTERVAL_MS (500 ms) after the first went out', async () => {
    const { ctx, signals, release } = fakeContext();
    const sentAt: number[] = [];
    const signalWithStart = ctx.temporal.workflow.signalWithStart;
    ctx.temporal.workflow.signalWithStart = ((...args: Parameters<typeof signalWithStart>) => {
      sentAt.push(performance.now());
      return signalWithStart(...args);
    }) as typeof signalWithStart;
    const requests = new EvaluationRequests(ctx);
    requests.request([A]);
    await turn();
    release();
    requests.request([A]);
    // Lower bounds only: a loaded machine can only make the second signal later.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(signals).toHaveLength(1);
    await eventually(() => signals.length === 2);
    expect(EVALUATION_INTERVAL_MS).toBe(500);
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(EVALUATION_INTERVAL_MS - 5);
    release();
    await ctx.deferred.settle();
  });
});
