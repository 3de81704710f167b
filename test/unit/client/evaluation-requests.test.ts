import { describe, expect, it } from 'vitest';
import type { WardenContext } from '../../../client/context';
import { DeferredWork } from '../../../client/deferred-work';
import { EvaluationRequests } from '../../../client/evaluation-requests';

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

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('EvaluationRequests', () => {
  it('sends one signal per ABP in flight; writes meanwhile ride on the next one, which goes out after it', async () => {
    const { ctx, signals, release } = fakeContext();
    const requests = new EvaluationRequests(ctx);
    const first = requests.request(['ABP-00000001']);
    await turn();
    expect(signals).toHaveLength(1);
    // The first signal is in flight: these three share one request, sent once it is answered.
    const later = [
      requests.request(['ABP-00000001']),
      requests.request(['ABP-00000001']),
      requests.request(['ABP-00000001', 'ABP-00000002']),
    ];
    await turn();
    expect(new Set(later.map((r) => r['ABP-00000001'])).size).toBe(1);
    expect(later[0]!['ABP-00000001']).not.toBe(first['ABP-00000001']);
    expect(signals.map((s) => s.workflowId)).toEqual([
      'delegation-evaluation-ABP-00000001',
      'delegation-evaluation-ABP-00000002',
    ]);
    release();
    await turn();
    await turn();
    expect(signals).toHaveLength(3);
    expect(signals[2]).toEqual({
      workflowId: 'delegation-evaluation-ABP-00000001',
      requestId: later[0]!['ABP-00000001'],
    });
    release();
    release();
    await ctx.deferred.settle();
  });
});
